"""P3 and P5: the local pipeline (gitlab-ci-local, buildah, docker-registry), measured.

P3: seconds from the start of the pipeline until the deploy job starts, for this component's
    DAG (needs; cleanup off the critical path) against the same jobs in the classic shape
    (strict sequential stages, cleanup before deploy). Median of --rounds, alternating. Goal ≤ 0.7x.
    Reported twice: as gitlab-ci-local starts deploy, and as GitLab would. gitlab-ci-local 4.73.0
    schedules in waves (its runLoop awaits every job it started together before it looks for
    new candidates), so its deploy also waits for cleanup, which started beside release. GitLab
    starts a job when its needs are done: for the DAG, when release finishes (timed in the same run).
P5: registry tags and bytes after --runs green runs. Goal: 0 CI tags.

    python bench/pipeline.py [--rounds 3] [--runs 10]     (as root on Debian: see tools/system-deps.sh)
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.pipeline_run import COMPONENT_JOBS, checkout, commit, ensure_base_image, run_pipeline  # noqa: E402
from tests.registry import running_registry  # noqa: E402

COMPONENT = Path("templates/continuous-deployment.yml")
CLASSIC_STAGES = ["build", "test", "cleanup", "release", "deploy"]


def classic(repo: Path) -> Path:
    """A copy of ``repo`` whose component has no ``needs`` and runs cleanup before release and deploy."""
    copy = Path(tempfile.mkdtemp(prefix="classic-")) / "repo"
    subprocess.run(["git", "clone", "-q", str(repo), str(copy)], check=True)
    header, _, body = (copy / COMPONENT).read_text().partition("\n---\n")
    jobs = yaml.safe_load(body)
    for job in jobs.values():
        job.pop("needs", None)
    (copy / COMPONENT).write_text(header + "\n---\n" + yaml.safe_dump(jobs, sort_keys=False))
    pipeline = yaml.safe_load((copy / ".gitlab-ci.yml").read_text())
    pipeline["stages"] = CLASSIC_STAGES
    for job in ("library-tests", "library-lint"):
        pipeline.pop(job)
    (copy / ".gitlab-ci.yml").write_text(yaml.safe_dump(pipeline, sort_keys=False))
    commit(copy, "the classic shape")
    return copy


def tags_and_bytes(registry, storage: Path) -> tuple[list[str], int]:
    size = sum(p.stat().st_size for p in storage.rglob("*") if p.is_file())
    return registry.tags("acme/hello"), size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    ensure_base_image()
    work = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    (work / "registry").mkdir()
    with running_registry(work / "registry") as registry:
        dag = checkout(work / "repo", gitlab_registry=registry.host)
        shape = classic(dag)
        run_pipeline(dag, registry, work)  # warm the layer cache; not measured
        dag_times, dag_needs_met, classic_times = [], [], []
        for _ in range(args.rounds):
            for repo in (dag, shape):
                run = run_pipeline(repo, registry, work, jobs=COMPONENT_JOBS)
                assert run.returncode == 0, run.log[-2000:]
                if repo is dag:
                    dag_times.append(run.seconds_until("gitlab-k8s-cd-deploy"))
                    dag_needs_met.append(run.seconds_until("gitlab-k8s-cd-release", "finished in"))
                else:
                    classic_times.append(run.seconds_until("gitlab-k8s-cd-deploy"))
        d, n, c = (statistics.median(t) for t in (dag_times, dag_needs_met, classic_times))
        print(f"P3 until deploy starts, classic shape:        {c:5.1f} s  {[round(t, 1) for t in classic_times]}")
        print(
            f"P3 DAG, as gitlab-ci-local starts it:         {d:5.1f} s  {[round(t, 1) for t in dag_times]}"
            f"  ratio {d / c:.2f}x"
        )
        print(
            f"P3 DAG, as GitLab starts it (release done):   {n:5.1f} s  {[round(t, 1) for t in dag_needs_met]}"
            f"  ratio {n / c:.2f}x (goal ≤ 0.7x)"
        )

        for _ in range(args.runs):
            assert run_pipeline(dag, registry, work).returncode == 0
        tags, size = tags_and_bytes(registry, work / "registry" / "data")
        ci = [t for t in tags if t.startswith("ci-")]
        print(f"P5 after {args.runs} more green runs: {len(tags)} tags ({len(ci)} CI tags), {size / 1e6:.1f} MB stored")
    return 0


if __name__ == "__main__":
    sys.exit(main())
