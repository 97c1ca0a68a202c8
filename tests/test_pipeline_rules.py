"""Which jobs each kind of pipeline runs, as gitlab-ci-local evaluates the real .gitlab-ci.yml's rules."""

from __future__ import annotations

import json
import subprocess

import pytest

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


def test_a_merge_request_previews_and_never_releases_or_deploys(repo):
    found = running(jobs(repo, CI_PIPELINE_SOURCE="merge_request_event", CI_COMMIT_BRANCH="feature"))
    assert {"gitlab-k8s-cd-preview", "gitlab-k8s-cd-plan-diff", "gitlab-k8s-cd-tests"} <= found
    assert not {"gitlab-k8s-cd-release", "gitlab-k8s-cd-deploy", "gitlab-k8s-cd-drift-check"} & found


def test_the_drift_schedule_runs_the_drift_check_of_its_stack_and_nothing_else(repo):
    assert running(jobs(repo, CI_PIPELINE_SOURCE="schedule", GITLAB_K8S_CD_DRIFT_CHECK="staging")) == {
        "gitlab-k8s-cd-drift-check"
    }
    assert running(jobs(repo, CI_PIPELINE_SOURCE="schedule", GITLAB_K8S_CD_DRIFT_CHECK="production")) == set()
