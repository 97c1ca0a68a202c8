"""Which jobs each kind of pipeline runs, as gitlab-ci-local evaluates the real .gitlab-ci.yml's rules."""

from __future__ import annotations

import functools
import json
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

from gitlab_k8s_cd.components import drift_check_description, token_rotation_description
from gitlab_k8s_cd.components.deploy_trace import TRACE_PREFIX
from tests.pipeline_run import checkout, gitlab_ci_local, job_virtualenv, tools_registry

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    return checkout(tmp_path_factory.mktemp("rules") / "repo")


def jobs(repo, **variables) -> dict[str, str]:
    command = [gitlab_ci_local(), "--list-json", "--ignore-predefined-vars", ",".join(variables)]
    for key, value in variables.items():
        command += ["--variable", f"{key}={value}"]
    result = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=120, check=True)
    return {job["name"]: job["when"] for job in json.loads(result.stdout)}


def running(listing: dict[str, str]) -> set[str]:
    return {name for name, when in listing.items() if when != "never"}


BUILDS = {f"gitlab-k8s-cd-{job}" for job in ("build", "tests", "static-analysis", "code-style", "cleanup")}
"""Staging's jobs that build and test each commit; production's include builds nothing."""
LIBRARY = {"library-tests", "library-lint"}
CANARY = {"production-deploy-canary", "production-promote", "production-abort-canary"}
"""Production's deploy, as a canary: three manual jobs instead of production-deploy."""


def test_a_default_branch_push_builds_tests_releases_deploys_staging_and_offers_production_by_hand(repo):
    listing = jobs(repo, CI_PIPELINE_SOURCE="push")
    assert running(listing) == BUILDS | LIBRARY | {"gitlab-k8s-cd-release", "gitlab-k8s-cd-deploy"} | CANARY
    assert listing["gitlab-k8s-cd-deploy"] == "on_success"
    assert {name: listing[name] for name in CANARY} == dict.fromkeys(CANARY, "manual")
    assert listing["production-deploy"] == "never"  # canary: true


def test_a_feature_branch_push_builds_and_tests_only_and_deploys_nowhere(repo):
    assert running(jobs(repo, CI_PIPELINE_SOURCE="push", CI_COMMIT_BRANCH="feature")) == BUILDS | LIBRARY


def test_a_tag_pipeline_builds_and_tests_only_and_deploys_nowhere(repo):
    """A tag pipeline has no CI_COMMIT_BRANCH: the deploy jobs' default-branch rule excludes them."""
    found = running(jobs(repo, CI_PIPELINE_SOURCE="push", CI_COMMIT_BRANCH="", CI_COMMIT_TAG="v1.0.0"))
    assert found == BUILDS | LIBRARY


def test_a_release_tag_tests_then_publishes_the_package_and_the_catalog_release_and_deploys_nothing(repo):
    """GitLab sets no CI_COMMIT_BRANCH in a tag pipeline."""
    assert running(jobs(repo, CI_PIPELINE_SOURCE="push", CI_COMMIT_BRANCH="", CI_COMMIT_TAG="0.1.0")) == {
        "gitlab-k8s-cd-build",
        "gitlab-k8s-cd-tests",
        "gitlab-k8s-cd-static-analysis",
        "gitlab-k8s-cd-code-style",
        "gitlab-k8s-cd-cleanup",
        "library-tests",
        "library-lint",
        "publish-package",
        "catalog-release",
    }


def test_a_merge_request_from_an_unprotected_branch_gets_the_offline_plan_diff_and_no_pulumi_preview(repo):
    """Its pipeline gets no protected variable (no passphrase, no kubeconfig): a real preview could
    only fail. Each stack gets its offline plan diff; only staging's include builds and tests."""
    found = running(
        jobs(
            repo, CI_PIPELINE_SOURCE="merge_request_event", CI_COMMIT_BRANCH="feature", CI_COMMIT_REF_PROTECTED="false"
        )
    )
    assert found == BUILDS | LIBRARY | {"gitlab-k8s-cd-plan-diff", "production-plan-diff"}


def test_a_merge_request_whose_pipeline_may_read_protected_variables_also_previews_for_real(repo):
    found = running(
        jobs(repo, CI_PIPELINE_SOURCE="merge_request_event", CI_COMMIT_BRANCH="release", CI_COMMIT_REF_PROTECTED="true")
    )
    assert {"gitlab-k8s-cd-preview", "gitlab-k8s-cd-plan-diff", "production-preview", "production-plan-diff"} <= found
    assert not {"gitlab-k8s-cd-release", "gitlab-k8s-cd-deploy", "production-deploy"} & found
    assert not CANARY & found


@pytest.mark.parametrize("prefix,stack", [("gitlab-k8s-cd", "staging"), ("production", "production")])
def test_the_drift_schedule_rotates_the_token_then_checks_drift_and_does_nothing_else(repo, prefix, stack):
    """Each stack's schedule runs its own include's two jobs, and nothing of the other's."""
    assert running(schedule(repo, drift_check_description(stack))) == {
        f"{prefix}-rotate-token",
        f"{prefix}-drift-check",
    }


@pytest.mark.parametrize("prefix,stack", [("gitlab-k8s-cd", "staging"), ("production", "production")])
def test_a_stack_whose_drift_check_is_off_still_rotates_its_token_nightly_and_runs_nothing_else(repo, prefix, stack):
    assert running(schedule(repo, token_rotation_description(stack))) == {f"{prefix}-rotate-token"}


def test_a_schedule_of_a_stack_no_include_deploys_runs_nothing(repo):
    assert running(schedule(repo, drift_check_description("qa"))) == set()


def test_another_schedule_of_the_project_runs_the_pipeline_without_the_drift_jobs(repo):
    found = running(schedule(repo, "nightly dependency update"))
    assert {"gitlab-k8s-cd-build", "gitlab-k8s-cd-tests"} <= found
    assert not {"gitlab-k8s-cd-rotate-token", "gitlab-k8s-cd-drift-check"} & found
    assert not {"production-rotate-token", "production-drift-check"} & found


def schedule(repo, description, **variables):
    """A scheduled pipeline: GitLab (17.8+) tells its jobs the schedule's description."""
    return jobs(repo, CI_PIPELINE_SOURCE="schedule", CI_PIPELINE_SCHEDULE_DESCRIPTION=description, **variables)


REVIEW_JOBS = {"gitlab-k8s-cd-review", "gitlab-k8s-cd-stop-review"}


def merge_request(repo, **variables) -> dict[str, str]:
    """A merge request pipeline. GitLab sets no CI_COMMIT_BRANCH in one; empty acts the same in these rules."""
    return jobs(
        repo,
        CI_PIPELINE_SOURCE="merge_request_event",
        CI_COMMIT_BRANCH="",
        CI_COMMIT_REF_PROTECTED="false",
        CI_MERGE_REQUEST_IID="7",
        **variables,
    )


def test_a_merge_request_deploys_its_review_app_when_the_base_stack_switched_review_apps_on(repo):
    listing = merge_request(repo, GITLAB_K8S_CD_REVIEW_APPS="staging")
    found = running(listing)
    assert {"gitlab-k8s-cd-release", "gitlab-k8s-cd-review", "gitlab-k8s-cd-plan-diff"} <= found
    assert listing["gitlab-k8s-cd-review"] == "on_success"
    assert listing["gitlab-k8s-cd-stop-review"] == "manual"  # GitLab plays it on merge, close or auto-stop
    assert not {"gitlab-k8s-cd-deploy", "gitlab-k8s-cd-drift-check"} & found
    # One review app per merge request: the promoting include releases and reviews nothing.
    assert not {"production-release", "production-review", "production-stop-review"} & found


def test_a_merge_request_gets_no_review_app_without_the_switch(repo):
    found = running(merge_request(repo))
    assert not (REVIEW_JOBS | {"gitlab-k8s-cd-release", "gitlab-k8s-cd-deploy"}) & found
    assert "gitlab-k8s-cd-plan-diff" in found


def test_a_default_branch_pipeline_never_deploys_a_review_app(repo):
    listing = jobs(repo, CI_PIPELINE_SOURCE="push", GITLAB_K8S_CD_REVIEW_APPS="staging")
    assert {listing[name] for name in REVIEW_JOBS} == {"never"}
    assert {"gitlab-k8s-cd-release", "gitlab-k8s-cd-deploy"} <= running(listing)


def test_the_drift_schedule_runs_no_review_job(repo):
    listing = schedule(repo, drift_check_description("staging"), GITLAB_K8S_CD_REVIEW_APPS="staging")
    assert running(listing) == {"gitlab-k8s-cd-rotate-token", "gitlab-k8s-cd-drift-check"}


def run_drift_job(repo, tmp_path, last_update=None):
    """The drift job run by gitlab-ci-local in the host's shell, with the stand-in tests/bin/pulumi
    (which records its arguments, and runs the offline plan for ``preview``). ``last_update``
    stands for what the backend recorded of the stack's latest update (None: never deployed), which
    the stand-in's ``config refresh`` reads. Returns the run and the stand-in's calls."""
    import base64
    import os
    import sys

    from tests.conftest import PASSPHRASE

    tmp_path.mkdir(parents=True, exist_ok=True)
    log = tmp_path / "pulumi.log"
    # The job installs the tools (pip install $TOOLS_REQUIREMENT): into a virtualenv of its own,
    # from the built wheel, as the local pipeline run does; never into the one running the tests.
    venv = _drift_job_virtualenv()
    env = {
        **os.environ,
        "PATH": os.pathsep.join(
            [str(repo / "tests" / "bin"), str(venv / "bin"), str(Path(sys.executable).parent), os.environ["PATH"]]
        ),
        "PULUMI_STAND_IN_LOG": str(log),
        "PULUMI_STAND_IN_PLAN_DIR": str(tmp_path / "plan"),
        # The checkout first; an import root given in the environment, after it, points
        # gitlab_k8s_cd at the code under test (a git worktree's), ahead of the editable install.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(repo), os.environ.get("PYTHONPATH")])),
        "PULUMI_STAND_IN_PYTHON": sys.executable,
    }
    if last_update is not None:
        record = tmp_path / "last-update.json"
        record.write_text(json.dumps(last_update))
        env["PULUMI_STAND_IN_LAST_UPDATE"] = str(record)
    variables = {
        "CI_PROJECT_DIR": str(repo),
        "CI_PIPELINE_SOURCE": "schedule",
        "CI_PIPELINE_SCHEDULE_DESCRIPTION": drift_check_description("staging"),
        "KUBECONFIG_B64": base64.b64encode(b"# the deployer kubeconfig stands here\n").decode(),
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "TOOLS_REQUIREMENT": tools_registry().requirement,
    }
    predefined = "CI_PIPELINE_SOURCE,CI_PIPELINE_SCHEDULE_DESCRIPTION"
    command = [gitlab_ci_local(), "--force-shell-executor", "--ignore-predefined-vars", predefined]
    for key, value in variables.items():
        command += ["--variable", f"{key}={value}"]
    installed = _tools_installed_here()
    result = subprocess.run(
        [*command, "gitlab-k8s-cd-drift-check"], cwd=repo, env=env, capture_output=True, text=True, timeout=300
    )
    assert _tools_installed_here() == installed, "the job's pip install reached the tests' own virtualenv"
    calls = [json.loads(line)["argv"] for line in log.read_text().splitlines()] if log.exists() else []
    return result, calls


@functools.cache
def _drift_job_virtualenv() -> Path:
    """One job virtualenv for this process's drift-job runs, as a runner's cached one: the first
    run's pip install puts the wheel there, the next ones find it installed (as they would)."""
    return job_virtualenv(Path(tempfile.mkdtemp(prefix="drift-job-")) / "job-venv")


def _tools_installed_here() -> str:
    """How the virtualenv running the tests has gitlab-k8s-cd in its site-packages (each
    distribution's direct_url.json: editable, from where)."""
    import sysconfig
    from importlib.metadata import distributions

    found = distributions(name="gitlab-k8s-cd", path=[sysconfig.get_paths()["purelib"]])
    return "\n".join(sorted(d.read_text("direct_url.json") or "" for d in found))


def recorded_by_a_deploy(repo: Path, image: str, **ci: str) -> dict:
    """What the deploy job's ``pulumi up --config ...`` records in the backend's history: the
    checkout's stack file with the ``--config`` values saved into it (pulumi/pulumi up.go l. 174,
    183: saved, then read back), and the state's secrets provider (docs/contracts.md PC-12)."""
    stack_file = yaml.safe_load((repo / "Pulumi.staging.yaml").read_text())
    config = {**stack_file["config"], "gitlab-k8s-cd:image": image}
    config.update({f"gitlab-k8s-cd:{key}": value for key, value in ci.items()})
    return {
        "config": config,
        "secretsProviders": {"type": "passphrase", "state": {"salt": stack_file["encryptionsalt"]}},
    }


DEPLOYED_IMAGE = "registry.gitlab.com/acme/hello@sha256:" + "d" * 64
DEPLOYED_BY = {
    "commitSha": "0123456789abcdef0123456789abcdef01234567",
    "pipelineUrl": "https://gitlab.com/acme/hello/-/pipelines/42",
    "jobUrl": "https://gitlab.com/acme/hello/-/jobs/4242",
}


def test_the_drift_check_hands_pulumi_the_migration_jobs_exclude_glob_intact(repo, tmp_path):
    """The ``--exclude`` glob reaches the CLI as one argument, unexpanded by the shell
    (docs/contracts.md PC-11)."""
    from gitlab_k8s_cd.components.migration import JOB_URN_GLOB

    result, calls = run_drift_job(repo, tmp_path, recorded_by_a_deploy(repo, DEPLOYED_IMAGE, **DEPLOYED_BY))
    assert result.returncode == 0, result.stdout[-3000:]
    (preview,) = [argv for argv in calls if argv[0] == "preview"]
    assert preview[:4] == ["preview", "--refresh", "--expect-no-changes", "--diff"]
    assert preview[preview.index("--exclude") + 1] == JOB_URN_GLOB


@pytest.fixture
def fresh_checkout(tmp_path):
    """A checkout of its own: the drift job rewrites its stack file."""
    return checkout(tmp_path / "repo")


def test_the_drift_check_refreshes_the_stack_file_from_the_last_update_then_previews_what_was_deployed(
    fresh_checkout, tmp_path
):
    """The deploy job's ``--config`` values (image digest, commit, pipeline, job) live only in the
    backend's record of its update, never in the committed stack file. The drift job first
    rewrites its checkout's stack file from that record (``pulumi config refresh --force``,
    docs/contracts.md PC-12), so its preview plans the deployed image and trace annotations: no
    drift reported after every deploy. The record is a stand-in's (tests/bin/pulumi)."""
    repo = fresh_checkout
    committed = yaml.safe_load((repo / "Pulumi.staging.yaml").read_text())
    assert committed["config"]["gitlab-k8s-cd:image"] != DEPLOYED_IMAGE  # what the preview saw before

    recorded = recorded_by_a_deploy(repo, DEPLOYED_IMAGE, **DEPLOYED_BY)

    result, calls = run_drift_job(repo, tmp_path / "run", recorded)

    assert result.returncode == 0, result.stdout[-3000:]
    refreshed = yaml.safe_load((repo / "Pulumi.staging.yaml").read_text())
    # The salt comes back from the state's secrets provider: the preview can still decrypt.
    assert refreshed["encryptionsalt"] == recorded["secretsProviders"]["state"]["salt"]
    assert not list(repo.glob("Pulumi.staging.yaml.bak*"))  # --force: no backup left in the checkout
    deployments = [
        manifest
        for manifest in yaml.safe_load_all((tmp_path / "run" / "plan" / "kubernetes.yaml").read_text())
        if manifest["kind"] == "Deployment"
    ]
    assert deployments
    for deployment in deployments:
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["image"] == DEPLOYED_IMAGE
        assert deployment["metadata"]["annotations"][f"{TRACE_PREFIX}/commit-sha"] == DEPLOYED_BY["commitSha"]
        assert deployment["metadata"]["annotations"][f"{TRACE_PREFIX}/job-url"] == DEPLOYED_BY["jobUrl"]
    # In that order: config refresh, then the preview.
    assert [argv[:2] for argv in calls] == [["config", "refresh"], ["preview", "--refresh"]]
    assert calls[0] == ["config", "refresh", "--force", "--stack", "staging"]
    assert calls[1][-2:] == ["--stack", "staging"]


def test_a_drift_check_of_a_stack_never_deployed_fails_at_the_config_refresh_and_never_previews(
    fresh_checkout, tmp_path
):
    """No update, no recorded config: the CLI fails ("no previous deployment", PC-12). The
    schedule is made by the stack's own first update, so only a hand-made schedule gets here."""
    result, calls = run_drift_job(fresh_checkout, tmp_path / "run", last_update=None)
    assert result.returncode != 0
    assert calls == [["config", "refresh", "--force", "--stack", "staging"]]
    assert "no previous deployment" in result.stdout + result.stderr
