"""This checkout's wheel, built once per test run exactly as the tag pipeline builds it
(``python -m build``: the sdist, then the wheel from the sdist, so nothing is written into the
checkout), for the tests that install gitlab-k8s-cd the way a consumer does. Under pytest-xdist
the workers of one run share it (``PYTEST_XDIST_TESTRUNUID``, the same in every worker of a run):
the first builds it under a lock, the others wait and take it."""

from __future__ import annotations

import fcntl
import functools
import os
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from gitlab_k8s_cd.pipeline.publish import wheel_name

ROOT = Path(__file__).resolve().parent.parent
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


@functools.cache
def built_wheel() -> Path:
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if run is None:
        return _build(Path(tempfile.mkdtemp(prefix="gitlab-k8s-cd-dist-")))
    shared = Path(tempfile.gettempdir()) / f"gitlab-k8s-cd-dist-{run}"
    shared.mkdir(exist_ok=True)
    with (shared / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        wheel = shared / wheel_name(VERSION)
        return wheel if wheel.is_file() else _build(shared)


def _build(out: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    wheel = out / wheel_name(VERSION)
    assert wheel.is_file(), f"python -m build wrote {sorted(p.name for p in out.iterdir())}"
    return wheel
