"""The offline diff for a merge request: plan the target branch, plan this checkout, compare.

    python -m gitlab_k8s_cd.pipeline.plan_diff --stack staging --target FETCH_HEAD [--project-dir .] [--out build/plan]
                                 [--stack-tag KEY=VALUE ...]

The target's plan runs from a ``git worktree`` of ``--target``, with the target's own program and
config (and its own policy pack). In gitlab-k8s-cd's own repository each side also imports the
library from its own checkout, so that a change to the components themselves shows up too; a
consuming project plans both sides with the library it has installed. This
checkout's plan is written to ``--out`` with ``changes.json`` (the artifact a reviewer opens); the
target's to ``--out``-target. Both plans evaluate the policy pack's rules with the ``--stack-tag``
tags, none by default: a non-development stack, on which a tag-only image is a violation.
Exit status: that of this checkout's plan (0 valid; 1 invalid: a manifest fails the schema or a
mandatory policy is violated; 2 configuration error; 3 the program failed).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Sequence
from pathlib import Path

LIBRARY = "gitlab-k8s-cd"


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def plan(project_dir: Path, stack: str, out: Path, *extra: str) -> int:
    """``python -m gitlab_k8s_cd.components.plan`` run from ``project_dir`` (whose program it plans)."""
    command = [sys.executable, "-m", "gitlab_k8s_cd.components.plan", "--stack", stack, "--out", str(out.resolve())]
    with tempfile.TemporaryDirectory(prefix="plan-library-") as tmp:
        env = {**os.environ}
        library = own_library(Path(git("rev-parse", "--show-toplevel", cwd=project_dir)), Path(tmp))
        if library is not None:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(library), env.get("PYTHONPATH")]))
        return subprocess.run([*command, *extra], cwd=project_dir, env=env, check=False).returncode


def own_library(top: Path, into: Path) -> Path | None:
    """When ``top`` is gitlab-k8s-cd's own source tree: an import root in ``into`` that maps its
    folders to their package names as its pyproject.toml does (``gitlab_k8s_cd.components`` ->
    ``components/``), ahead of the installed library on PYTHONPATH. None for any other project."""
    pyproject = top / "pyproject.toml"
    if not pyproject.is_file():
        return None
    metadata = tomllib.loads(pyproject.read_text())
    if metadata.get("project", {}).get("name") != LIBRARY:
        return None
    for package, folder in metadata["tool"]["setuptools"]["package-dir"].items():
        link = into.joinpath(*package.split("."))
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(top / folder, target_is_directory=True)
    return into


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gitlab_k8s_cd.pipeline.plan_diff", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--stack", required=True)
    parser.add_argument("--target", required=True, help="the git revision to compare with, e.g. FETCH_HEAD")
    parser.add_argument("--project-dir", default=".", help="the Pulumi project, within the git checkout")
    parser.add_argument("--out", default="build/plan", help="where this checkout's plan goes")
    parser.add_argument(
        "--stack-tag",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a tag the stack has, for its policies (as gitlab_k8s_cd.components.plan's); default none",
    )
    args = parser.parse_args(argv)
    tags = [option for tag in args.stack_tag for option in ("--stack-tag", tag)]

    project = Path(args.project_dir).resolve()
    top = Path(git("rev-parse", "--show-toplevel", cwd=project))
    out = Path(args.out).resolve()
    target_out = out.with_name(out.name + "-target")
    with tempfile.TemporaryDirectory(prefix="plan-target-") as tmp:
        worktree = Path(tmp) / "target"
        git("worktree", "add", "--detach", str(worktree), args.target, cwd=top)
        try:
            status = plan(worktree / project.relative_to(top), args.stack, target_out, *tags)
            if status == 1:
                # Invalid (a schema or policy violation) but planned and written: a merge request
                # that fixes the violation is still compared with what the target declares.
                print("plan_diff: the target's plan is invalid (exit 1); comparing with it as planned", file=sys.stderr)
            elif status != 0:
                print(f"plan_diff: the target's plan failed (exit {status}); comparing with nothing", file=sys.stderr)
                target_out.mkdir(parents=True, exist_ok=True)
                (target_out / "resources.json").write_text("[]\n")
        finally:
            git("worktree", "remove", "--force", str(worktree), cwd=top)
    return plan(project, args.stack, out, "--compare", str(target_out), *tags)


if __name__ == "__main__":
    sys.exit(main())
