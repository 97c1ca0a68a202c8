"""The offline plan: run a stack's program under Pulumi's mocks, validate, write and compare.

    python -m components.plan --stack staging [-c key=value ...] [--out DIR] [--compare DIR]
                              [--kubernetes-version 1.31]

It needs no Pulumi CLI, no cluster and no GitLab. It prints a tree of every resource the
stack declares (secrets as ``[secret]``), validates every Kubernetes manifest strictly against
the OpenAPI schema of ``--kubernetes-version``, and writes to ``--out`` (default
``build/plan``):

- ``kubernetes.yaml``: every Kubernetes object, in apply order, secrets redacted;
- ``gitlab.yaml``: every GitLab resource with its inputs, secrets redacted;
- ``resources.json``: every resource by URN, what ``--compare`` reads;
- ``changes.json``: with ``--compare``, the changes against the earlier plan.

Exit status: 0 the plan is valid; 1 a manifest is invalid (object and field named);
2 a configuration error (key, value and expectation named); 3 the program failed otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from .config import NAMESPACE, SECRET_KEYS
from .diff import compare
from .kubernetes_schema import supported_versions, validate_manifests
from .testing import Plan, PlannedResource, ProgramError, Secret, run_program

EXIT_OK, EXIT_INVALID_MANIFEST, EXIT_CONFIG, EXIT_PROGRAM = 0, 1, 2, 3
DEFAULT_KUBERNETES_VERSION = "1.31"
CONFIG_ERRORS = ("components.config.ConfigError", "components.validation.InvalidArgument")
OFFLINE_SECRET = "offline-plan-placeholder-secret"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    project_dir = Path(args.project_dir).resolve()
    try:
        project, config, secret_keys, placeholders = stack_config(project_dir, args.stack, args.config)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CONFIG

    try:
        plan = run_program(
            project_dir / "__main__.py", project=project, stack=args.stack, config=config, secret_keys=secret_keys
        )
    except ProgramError as error:
        if error.type in CONFIG_ERRORS:
            print(f"configuration error: {error.message}", file=sys.stderr)
            return EXIT_CONFIG
        print(
            f"the program failed: {error}\n{error.plan.error.get('traceback', '') if error.plan.error else ''}",
            file=sys.stderr,
        )
        return EXIT_PROGRAM

    print(f"Offline plan of {project}/{args.stack} (Pulumi mock runtime: no CLI, no cluster, no GitLab)")
    for key in placeholders:
        print(f"  note: {key} is not set here; planned with a placeholder secret")
    print()
    print(render_tree(plan, f"{project}-{args.stack}"))
    print()
    written = plan.write(args.out)

    documents = plan.manifests()
    problems = validate_manifests(documents, args.kubernetes_version)
    manifests = len(documents)
    if args.compare:
        comparison = compare(json.loads((Path(args.compare) / "resources.json").read_text()), plan.resource_table())
        (Path(args.out) / "changes.json").write_text(json.dumps(comparison.to_json(), indent=1) + "\n")
        print(f"Compared with {args.compare}: {comparison.summary()}")
        for change in comparison.changes:
            print(change)
        print()
    print(f"Wrote {', '.join(str(p) for p in written)}")
    if problems:
        print(
            f"INVALID: {len(problems)} of {manifests} manifests fail the Kubernetes {args.kubernetes_version} schema:",
            file=sys.stderr,
        )
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_INVALID_MANIFEST
    print(f"Valid: {manifests} manifests against the Kubernetes {args.kubernetes_version} schema (strict)")
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m components.plan", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", required=True, help="the stack, read from Pulumi.<stack>.yaml")
    parser.add_argument(
        "-c",
        "--config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"override a config value, as `pulumi up -c` does (KEY without a namespace means {NAMESPACE}:KEY)",
    )
    parser.add_argument("--out", default="build/plan", help="where to write the plan (default build/plan)")
    parser.add_argument("--compare", metavar="DIR", help="an earlier plan's directory to compare with")
    parser.add_argument(
        "--kubernetes-version",
        default=DEFAULT_KUBERNETES_VERSION,
        choices=supported_versions(),
        metavar="X.Y",
        help=f"validate against this Kubernetes version (default {DEFAULT_KUBERNETES_VERSION})",
    )
    parser.add_argument("--project-dir", default=".", help="the Pulumi project (default: the current directory)")
    return parser


def stack_config(
    project_dir: Path, stack: str, overrides: Sequence[str]
) -> tuple[str, dict[str, Any], list[str], list[str]]:
    """The project name, the stack's config with ``-c`` overrides, its secret keys, and the
    secret keys that got an offline placeholder because neither the stack nor the environment has them."""
    project = yaml.safe_load((project_dir / "Pulumi.yaml").read_text())["name"]
    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if not stack_file.exists():
        raise ValueError(f"no stack file {stack_file.name} in {project_dir}")
    config: dict[str, Any] = dict((yaml.safe_load(stack_file.read_text()) or {}).get("config") or {})
    secret_keys, placeholders = [], []
    for key, value in list(config.items()):
        if isinstance(value, Mapping) and set(value) == {"secure"}:
            # Encrypted with the stack's secrets provider, which is not here.
            config[key] = OFFLINE_SECRET
            secret_keys.append(key)
            placeholders.append(key)
    for override in overrides:
        key, sep, value = override.partition("=")
        if not sep or not key:
            raise ValueError(f"-c {override!r}: expected KEY=VALUE")
        config[key if ":" in key else f"{NAMESPACE}:{key}"] = value
    review_stack = f"{NAMESPACE}:mergeRequestIid" in config  # it hands CI no backend secret
    for key, env in SECRET_KEYS.items():
        full = f"{NAMESPACE}:{key}"
        if full not in config and env not in os.environ and not review_stack:
            config[full] = OFFLINE_SECRET
            secret_keys.append(full)
            placeholders.append(full)
    return project, config, secret_keys, placeholders


def render_tree(plan: Plan, root: str) -> str:
    """Every resource under its parent, with a short summary; secrets as ``[secret]``."""
    lines = [f"{root} (pulumi:pulumi:Stack)"]

    def walk(parent: str | None, prefix: str) -> None:
        children = sorted((r for r in plan.resources if r.parent == parent), key=lambda r: (r.custom, r.type, r.name))
        for index, resource in enumerate(children):
            last = index == len(children) - 1
            branch = "└─ " if last else "├─ "
            summary = _summary(resource)
            lines.append(f"{prefix}{branch}{resource.name} ({resource.type}){'  ' + summary if summary else ''}")
            walk(resource.urn, prefix + ("   " if last else "│  "))

    walk(None, "")
    return "\n".join(lines)


def _summary(resource: PlannedResource) -> str:
    inputs = resource.inputs
    if resource.is_kubernetes:
        metadata = inputs.get("metadata") or {}
        where = "/".join(str(p) for p in (metadata.get("namespace"), metadata.get("name")) if p)
        if inputs.get("kind") == "Deployment":
            container = inputs["spec"]["template"]["spec"]["containers"][0]
            return f"{where} image={_show(container['image'])}"
        return where
    if resource.type == "gitlab:index/projectVariable:ProjectVariable":
        flags = [flag for flag in ("masked", "hidden", "protected") if inputs.get(flag) is True]
        return (
            f"{inputs['key']}={_show(inputs['value'])} scope={inputs.get('environmentScope')}"
            f"{' [' + ', '.join(flags) + ']' if flags else ''}"
        )
    if resource.type == "pulumi:providers:kubernetes":
        return f"cluster_identifier={_show(inputs.get('clusterIdentifier'))}"
    return ""


def _show(value: Any) -> str:
    return "[secret]" if isinstance(value, Secret) else str(value)


if __name__ == "__main__":
    sys.exit(main())
