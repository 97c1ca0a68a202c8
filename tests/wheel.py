"""This checkout's wheel, built once per test process exactly as the tag pipeline builds it
(``python -m build``: the sdist, then the wheel from the sdist, so nothing is written into the
checkout), for the tests that install gitlab-k8s-cd the way a consumer does."""

from __future__ import annotations

import functools
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
    out = Path(tempfile.mkdtemp(prefix="gitlab-k8s-cd-dist-"))
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
