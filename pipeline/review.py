"""Writes a merge request's review stack config, derived from the base stack's.

    python -m gitlab_k8s_cd.pipeline.review config --base staging --merge-request-iid 42 \\
        --environment review/feature-x [--project-dir .] [--image-key image] [--dotenv review.env]

It reads ``Pulumi.<base>.yaml`` and writes ``Pulumi.review-<iid>.yaml`` next to it: the base's
app, image, probes, resources, settings, project and cluster; one replica; the review namespace;
the environment and its URL (see ``gitlab_k8s_cd.components.review_config.derive_review_config``). The
keys are read from, and written to, the namespace the program reads, which the image key names
as the deploy tool's ``--image-key`` does (the component's input ``image_config_key``): a bare
``image`` is the project's (the ``name`` in its Pulumi.yaml, as ``load_settings()`` reads),
``ledger:image`` the ``ledger`` namespace (``load_settings(namespace="ledger")``). Whatever else an
existing review stack file holds (its ``encryptionsalt``, say) is kept. ``--dotenv`` also writes
``REVIEW_STACK`` and ``REVIEW_URL`` for GitLab's dotenv report, which sets the environment's URL.

Exit status: 0 written; 2 the base stack has no review apps, or a value is refused (the key,
the value and what is expected are named), or holds our keys in another namespace.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from gitlab_k8s_cd.components.config import ConfigError
from gitlab_k8s_cd.components.review_app import review_stack_name
from gitlab_k8s_cd.components.review_config import derive_review_config
from gitlab_k8s_cd.components.stack_file import project_name
from gitlab_k8s_cd.pipeline.deploy import DEFAULT_IMAGE_KEY, key_namespace


def config_namespace(image_key: str, project: str) -> str:
    """The namespace the program reads, from its image key: ``ledger:image`` -> ``ledger``; a bare
    ``image`` is the project's, as ``pulumi up --config image=...`` qualifies it (docs/contracts.md
    PC-13), so the review stack's keys land where the deploy's image does."""
    namespace = key_namespace(image_key)
    return project if namespace is None else namespace


def write_review_config(
    project_dir: Path, base: str, merge_request_iid: int, environment: str, image_key: str = DEFAULT_IMAGE_KEY
) -> tuple[str, str]:
    """Write the review stack's file; returns (stack name, review app URL). ``image_key``: the key
    the program reads its image from, whose namespace it reads every key from (bare: the project's)."""
    project = project_name(project_dir)
    namespace = config_namespace(image_key, project)
    base_file = project_dir / f"Pulumi.{base}.yaml"
    base_config = (yaml.safe_load(base_file.read_text()) or {}).get("config") or {}
    config = derive_review_config(
        base_config,
        namespace=namespace,
        project=project,
        merge_request_iid=merge_request_iid,
        environment=environment,
    )
    stack = review_stack_name(merge_request_iid)
    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    document: dict[str, Any] = {}
    if stack_file.exists():
        document = yaml.safe_load(stack_file.read_text()) or {}
    document["config"] = config
    header = (
        f"# Derived from Pulumi.{base}.yaml by `python -m gitlab_k8s_cd.pipeline.review` "
        f"for merge request !{merge_request_iid}.\n"
        "# Rewritten on every review deploy: change the base stack instead.\n"
    )
    stack_file.write_text(header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    return stack, str(config[f"{namespace}:environmentUrl"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gitlab_k8s_cd.pipeline.review", description=__doc__.split("\n\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    config = commands.add_parser("config", help="write Pulumi.review-<iid>.yaml from the base stack's file")
    config.add_argument("--base", required=True, help="the base stack, e.g. staging")
    config.add_argument("--merge-request-iid", required=True, help="$CI_MERGE_REQUEST_IID")
    config.add_argument("--environment", required=True, help="the review environment, review/$CI_COMMIT_REF_SLUG")
    config.add_argument("--project-dir", default=".", help="the Pulumi project's directory")
    config.add_argument(
        "--image-key",
        default=DEFAULT_IMAGE_KEY,
        help="the config key the program reads the image from, as the deploy tool's: its namespace is the one the "
        "program reads (ledger:image: load_settings(namespace='ledger')); bare: the project's (default: %(default)s)",
    )
    config.add_argument("--dotenv", help="also write REVIEW_STACK and REVIEW_URL to this dotenv file")
    args = parser.parse_args(argv)

    iid: Any = int(args.merge_request_iid) if args.merge_request_iid.isdigit() else args.merge_request_iid
    try:
        stack, url = write_review_config(
            Path(args.project_dir), args.base, iid, args.environment, image_key=args.image_key
        )
    except (ConfigError, ValueError) as error:
        print(f"gitlab_k8s_cd.pipeline.review: {error}", file=sys.stderr)
        return 2
    except FileNotFoundError as error:
        missing = "no project file" if Path(error.filename).name == "Pulumi.yaml" else "no base stack file"
        print(f"gitlab_k8s_cd.pipeline.review: {missing} {error.filename}", file=sys.stderr)
        return 2
    if args.dotenv:
        Path(args.dotenv).write_text(f"REVIEW_STACK={stack}\nREVIEW_URL={url}\n")
    print(f"{stack}: {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
