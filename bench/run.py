"""The performance figures of bench/README.md. Run with `make bench` (not part of `make test`).

P1: the command a user runs, `python -m gitlab_k8s_cd.components.plan --stack staging --out DIR`,
    over the bare import of the SDK modules the program uses, each in a fresh process. Goal ≤ 1.25x.
    Beside it, as information, the staging program's run alone under the mock runtime, and the
    command over a bare import without the cyclic garbage collector and the interpreter's teardown
    (the program's process runs without both).
P2: our own overhead: a program with 50 ContinuousDeployments over a bare-SDK program that
    registers the same resources with the same inputs (bench/replay.py). Goal ≤ 1.1x. Beside it,
    as information, the 50-app program over the 1-app one.

Each figure is the median of --rounds runs, the sides alternating, in one run of this script; then
where the whole command's time goes (bench/where.py).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import replay, where  # noqa: E402
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
PLAN_COMMAND = [sys.executable, "-m", "gitlab_k8s_cd.components.plan", "--stack", "staging"]


def timed(action: Callable[[], None]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def medians(sides: list[Callable[[], None]], rounds: int) -> list[float]:
    """The median time of each side over ``rounds`` rounds, the sides alternating within each."""
    times: list[list[float]] = [[] for _ in sides]
    for _ in range(rounds):
        for side, runs in zip(sides, times, strict=True):
            runs.append(timed(side))
    return [statistics.median(runs) for runs in times]


def bare_import() -> None:
    subprocess.run([sys.executable, "-c", IMPORTS], check=True, cwd=ROOT)


def bare_import_as_the_program_process() -> None:
    """The bare import on the program's process's footing (components/plan/child.py): without the
    cyclic garbage collector, and exiting without the interpreter's teardown. The command over it
    is what our work costs beyond importing the SDK; the gains that are Python's show apart."""
    code = f"import gc, os; gc.disable(); {IMPORTS}; os._exit(0)"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def plan_command() -> None:
    """The whole command, as `make plan` runs it, into a fresh directory."""
    with tempfile.TemporaryDirectory(prefix="bench-plan-") as out:
        subprocess.run([*PLAN_COMMAND, "--out", out], check=True, cwd=ROOT, capture_output=True)
        if not (Path(out) / "kubernetes.yaml").exists():
            raise RuntimeError("the plan command wrote no kubernetes.yaml")


def staging_program() -> None:
    run_program(ROOT / "__main__.py", project="gitlab-k8s-cd", stack="staging", config=CONFIG, secret_keys=SECRET_KEYS)


def _run(target: str, env: dict[str, str]):
    return run_component(
        target,
        project="gitlab-k8s-cd",
        stack="staging",
        config=CONFIG,
        secret_keys=SECRET_KEYS,
        env=env,
        cwd=ROOT,
        timeout=900,
    )


def fleet(apps: int, review_apps: bool):
    env = {"BENCH_APPS": str(apps), "BENCH_REVIEW_APPS": "1" if review_apps else "0"}

    def run():
        plan = _run("bench.programs:fleet", env)
        assert len(plan.find("gitlab-k8s-cd:continuous_deployment:ContinuousDeployment")) == apps
        return plan

    return run


def replayed(original, file: Path):
    """The bare-SDK replay of ``original`` (a Plan); it must register exactly the same resources."""
    replay.write(original.resources, file)
    expected = sorted(resource.urn for resource in original.resources)

    def run() -> None:
        plan = _run("bench.replay:replay", {"BENCH_REPLAY": str(file)})
        assert len(plan.resources) == len(original.resources), (len(plan.resources), len(original.resources))
        assert sorted(resource.urn for resource in plan.resources) == expected

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}, "
        f"median of {args.rounds} alternating runs"
    )

    imports, footing, command, program = medians(
        [bare_import, bare_import_as_the_program_process, plan_command, staging_program], args.rounds
    )
    print(f"P1 bare SDK import          {imports:6.2f} s")
    print(f"P1 whole plan command       {command:6.2f} s   ratio {command / imports:.2f}x (goal ≤ 1.25x)")
    print(f"P1 staging program only     {program:6.2f} s   ratio {program / imports:.2f}x (information)")
    print(f"P1 bare import, no gc/exit  {footing:6.2f} s   the command over it {command / footing:.2f}x (information)")

    with tempfile.TemporaryDirectory(prefix="bench-replay-") as tmp:
        for review_apps in (False, True):
            label = "with review apps" if review_apps else "no review apps"
            original = fleet(50, review_apps)()  # recorded once: what the bare-SDK program replays
            bare = replayed(original, Path(tmp, f"replay-{review_apps}.json"))
            one, fifty, sdk = medians([fleet(1, review_apps), fleet(50, review_apps), bare], args.rounds)
            count = len(original.resources)
            print(f"P2 50 apps, bare SDK        {sdk:6.2f} s   ({label}; {count} resources, the same)")
            print(f"P2 50 apps, our program     {fifty:6.2f} s   overhead {fifty / sdk:.2f}x (goal ≤ 1.1x)")
            print(f"P2 1 app                    {one:6.2f} s   50/1 ratio {fifty / one:.2f}x (information)")

    print()
    where.report(PLAN_COMMAND, ROOT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
