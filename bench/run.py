"""The performance figures of bench/README.md. Run with `make bench` (not part of `make test`).

P1: the staging program's run under the mock runtime, over the bare import of the SDK modules
    it uses, each in a fresh process (what `make plan` pays). Goal ≤ 1.25x.
P2: a program with 50 ContinuousDeployments over one with 1. Goal ≤ 3x.

Each figure is the median of --rounds runs, the two sides alternating, in one run of this script.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gitlab_k8s_cd.components.stack_file import stack_config  # noqa: E402
from gitlab_k8s_cd.components.testing import run_component, run_program  # noqa: E402

IMPORTS = (
    "import pulumi, yaml, pulumi_gitlab, pulumi_kubernetes, pulumi_random;"
    "import pulumi_kubernetes.core.v1, pulumi_kubernetes.apps.v1, pulumi_kubernetes.networking.v1,"
    " pulumi_kubernetes.policy.v1, pulumi_kubernetes.rbac.v1, pulumi_kubernetes.autoscaling.v2,"
    " pulumi_kubernetes.batch.v1"
)
# The staging stack's config as the plan command reads it (its encrypted values as placeholders).
_STACK = stack_config(ROOT, "staging", [])
CONFIG = {**_STACK.config, "gitlab-k8s-cd:pulumiConfigPassphrase": "bench-passphrase-0123"}
SECRET_KEYS = sorted({*_STACK.secret_keys, "gitlab-k8s-cd:pulumiConfigPassphrase"})


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def bare_import() -> None:
    subprocess.run([sys.executable, "-c", IMPORTS], check=True, cwd=ROOT)


def staging_program() -> None:
    run_program(ROOT / "__main__.py", project="gitlab-k8s-cd", stack="staging", config=CONFIG, secret_keys=SECRET_KEYS)


RESOURCES: dict[tuple[int, bool], int] = {}


def fleet(apps: int, review_apps: bool = True):
    def run() -> None:
        plan = run_component(
            "bench.programs:fleet",
            project="gitlab-k8s-cd",
            stack="staging",
            config=CONFIG,
            secret_keys=SECRET_KEYS,
            env={"BENCH_APPS": str(apps), "BENCH_REVIEW_APPS": "1" if review_apps else "0"},
            cwd=ROOT,
            timeout=600,
        )
        assert len(plan.find("gitlab-k8s-cd:continuous_deployment:ContinuousDeployment")) == apps
        RESOURCES[apps, review_apps] = len(plan.resources)

    return run


def medians(a, b, rounds: int) -> tuple[float, float]:
    first, second = [], []
    for _ in range(rounds):
        first.append(timed(a))
        second.append(timed(b))
    return statistics.median(first), statistics.median(second)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, median of {args.rounds} alternating runs")

    imports, program = medians(bare_import, staging_program, args.rounds)
    print(f"P1 bare SDK import        {imports:6.2f} s")
    print(f"P1 staging program run    {program:6.2f} s   ratio {program / imports:.2f}x (goal ≤ 1.25x)")

    for review_apps in (False, True):
        one, fifty = medians(fleet(1, review_apps), fleet(50, review_apps), args.rounds)
        label = "with review apps" if review_apps else "no review apps"
        counts = f"{RESOURCES[1, review_apps]} / {RESOURCES[50, review_apps]} resources"
        print(f"P2 1 ContinuousDeployment {one:6.2f} s   ({label}; {counts})")
        print(f"P2 50                     {fifty:6.2f} s   ratio {fifty / one:.2f}x (goal ≤ 3x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
