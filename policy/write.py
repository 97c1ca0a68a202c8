"""Write a runnable CrossGuard policy pack of the installed rules into a project of yours.

    python -m gitlab_k8s_cd.policy write policy-pack [--requirement REQ]
    cd policy-pack && python -m venv venv && venv/bin/pip install -r requirements.txt && cd ..
    pulumi preview --policy-pack policy-pack

Why a pack of its own, rather than ``--policy-pack`` pointed at the installed package: Pulumi runs
a pack with the Python its ``PulumiPolicy.yaml`` names, and a relative ``virtualenv`` option is a
directory *inside the pack* (docs/contracts.md PC-15); the pack's own dependencies are installed
there by ``pulumi install`` run in the pack (``pulumi preview`` installs nothing). Pointed at
``site-packages/gitlab_k8s_cd/policy``, that would put a virtualenv inside site-packages. So the
pack lives in your repository: ``PulumiPolicy.yaml`` (``virtualenv: venv``, ignored by the
``.gitignore`` written beside it), a ``__main__.py`` that declares the installed rules
(``gitlab_k8s_cd.policy.pack``), and a ``requirements.txt`` that pins pulumi-policy and this very
release of gitlab-k8s-cd (by default its wheel in the project's generic package registry, a direct
URL: no index is asked for ``gitlab-k8s-cd``). After an upgrade, write it again.

The offline plan (``python -m gitlab_k8s_cd.components.plan``) needs none of this: it evaluates the
installed rules itself.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from importlib import metadata, resources
from pathlib import Path

from gitlab_k8s_cd.pipeline.publish import PACKAGE, requirement

HEADER = (
    "# Written by `python -m gitlab_k8s_cd.policy write` (gitlab-k8s-cd {version}); write it again after an upgrade.\n"
)
POLICY_YAML = """description: gitlab-k8s-cd guardrails for Kubernetes workloads and GitLab CI/CD settings
runtime:
  name: python
  options:
    toolchain: pip
    # A directory of this pack (relative to it): `pulumi install` here creates it from requirements.txt.
    virtualenv: venv
"""
MAIN = '''"""gitlab-k8s-cd's policy pack: `pulumi preview --policy-pack <this directory>`."""

from gitlab_k8s_cd.policy.pack import policy_pack

policy_pack()
'''


def pulumi_policy_requirement() -> str:
    """The pulumi-policy pin of the shipped pack's requirements.txt (the version the rules are tested with)."""
    text = resources.files("gitlab_k8s_cd.policy").joinpath("requirements.txt").read_text()
    (pin,) = [line.strip() for line in text.splitlines() if line.strip().startswith("pulumi-policy==")]
    return pin


def write_pack(directory: Path, gitlab_k8s_cd_requirement: str | None = None) -> list[Path]:
    """Write the pack's files into ``directory`` (created if missing); returns them."""
    version = metadata.version(PACKAGE)
    header = HEADER.format(version=version)
    files = {
        "PulumiPolicy.yaml": header + POLICY_YAML,
        "__main__.py": header + MAIN,
        "requirements.txt": header
        + f"{pulumi_policy_requirement()}\n{gitlab_k8s_cd_requirement or requirement(version)}\n",
        ".gitignore": header + "venv/\n",
    }
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        path = directory / name
        path.write_text(text)
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gitlab_k8s_cd.policy", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    write = commands.add_parser("write", help="write a runnable policy pack of the installed rules into DIR")
    write.add_argument("directory", type=Path, help="the pack's directory, in your repository")
    write.add_argument(
        "--requirement",
        help="how the pack's virtualenv installs gitlab-k8s-cd (default: this version's wheel in the "
        "generic package registry of gitlab.com/gitlab-k8s-cd/gitlab-k8s-cd)",
    )
    args = parser.parse_args(argv)
    for path in write_pack(args.directory, args.requirement):
        print(f"wrote {path}")
    return 0
