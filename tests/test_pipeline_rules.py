"""Which jobs each kind of pipeline runs, as gitlab-ci-local evaluates the real .gitlab-ci.yml's rules."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from components import drift_check_description, token_rotation_description
from tests.pipeline_run import checkout, gitlab_ci_local

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


def test_a_default_branch_push_builds_tests_releases_deploys_and_cleans_up(repo):
    assert running(jobs(repo, CI_PIPELINE_SOURCE="push")) == {
        "gitlab-k8s-cd-build",
        "gitlab-k8s-cd-tests",
        "gitlab-k8s-cd-static-analysis",
        "gitlab-k8s-cd-code-style",
        "gitlab-k8s-cd-cleanup",
        "gitlab-k8s-cd-release",
        "gitlab-k8s-cd-deploy",
        "library-tests",
        "library-lint",
    }


def test_a_merge_request_from_an_unprotected_branch_gets_the_offline_plan_diff_and_no_pulumi_preview(repo):
    """Its pipeline gets no protected variable (no passphrase, no kubeconfig): a real preview could only fail."""
    found = running(
        jobs(
            repo, CI_PIPELINE_SOURCE="merge_request_event", CI_COMMIT_BRANCH="feature", CI_COMMIT_REF_PROTECTED="false"
        )
    )
    assert {"gitlab-k8s-cd-plan-diff", "gitlab-k8s-cd-tests"} <= found
    assert "gitlab-k8s-cd-preview" not in found
    assert not {"gitlab-k8s-cd-release", "gitlab-k8s-cd-deploy", "gitlab-k8s-cd-drift-check"} & found


def test_a_merge_request_whose_pipeline_may_read_protected_variables_also_previews_for_real(repo):
    found = running(
        jobs(repo, CI_PIPELINE_SOURCE="merge_request_event", CI_COMMIT_BRANCH="release", CI_COMMIT_REF_PROTECTED="true")
    )
    assert {"gitlab-k8s-cd-preview", "gitlab-k8s-cd-plan-diff"} <= found
    assert not {"gitlab-k8s-cd-release", "gitlab-k8s-cd-deploy"} & found


def test_the_drift_schedule_rotates_the_token_then_checks_drift_and_does_nothing_else(repo):
    assert running(schedule(repo, drift_check_description("staging"))) == {
        "gitlab-k8s-cd-rotate-token",
        "gitlab-k8s-cd-drift-check",
    }
    assert running(schedule(repo, drift_check_description("production"))) == set()


def test_a_stack_whose_drift_check_is_off_still_rotates_its_token_nightly_and_runs_nothing_else(repo):
    assert running(schedule(repo, token_rotation_description("staging"))) == {"gitlab-k8s-cd-rotate-token"}


def test_another_schedule_of_the_project_runs_the_pipeline_without_the_drift_jobs(repo):
    found = running(schedule(repo, "nightly dependency update"))
    assert {"gitlab-k8s-cd-build", "gitlab-k8s-cd-tests"} <= found
    assert not {"gitlab-k8s-cd-rotate-token", "gitlab-k8s-cd-drift-check"} & found


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


def test_the_drift_check_hands_pulumi_the_migration_jobs_exclude_glob_intact(repo, tmp_path):
    """The drift job run by gitlab-ci-local in the host's shell, with the stand-in tests/bin/pulumi
    (which records its arguments): the ``--exclude`` glob reaches the CLI as one argument, unexpanded
    by the shell (docs/contracts.md PC-11)."""
    import base64
    import os
    import sys

    from components.migration import JOB_URN_GLOB
    from tests.conftest import PASSPHRASE

    log = tmp_path / "pulumi.log"
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(repo / "tests" / "bin"), str(Path(sys.executable).parent), os.environ["PATH"]]),
        "PULUMI_STAND_IN_LOG": str(log),
        "PULUMI_STAND_IN_PLAN_DIR": str(tmp_path / "plan"),
        "PYTHONPATH": str(repo),
    }
    variables = {
        "CI_PROJECT_DIR": str(repo),
        "CI_PIPELINE_SOURCE": "schedule",
        "CI_PIPELINE_SCHEDULE_DESCRIPTION": drift_check_description("staging"),
        "KUBECONFIG_B64": base64.b64encode(b"# the deployer kubeconfig stands here\n").decode(),
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
    }
    predefined = "CI_PIPELINE_SOURCE,CI_PIPELINE_SCHEDULE_DESCRIPTION"
    command = [gitlab_ci_local(), "--force-shell-executor", "--ignore-predefined-vars", predefined]
    for key, value in variables.items():
        command += ["--variable", f"{key}={value}"]
    result = subprocess.run(
        [*command, "gitlab-k8s-cd-drift-check"], cwd=repo, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-3000:]
    (call,) = [json.loads(line) for line in log.read_text().splitlines()]
    assert call["argv"][:4] == ["preview", "--refresh", "--expect-no-changes", "--diff"]
    assert call["argv"][call["argv"].index("--exclude") + 1] == JOB_URN_GLOB
