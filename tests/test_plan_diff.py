"""gitlab_k8s_cd.pipeline.plan_diff: a merge request's offline diff against its target branch."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import STAGING, key
from tests.pipeline_run import checkout, commit

RELEASE = "registry.gitlab.com/acme/hello@sha256:" + "0a1b2c3d" * 8
TAG_ONLY = "registry.gitlab.com/acme/hello:release-0a1b2c3d"


def run(repo, *args):
    return subprocess.run(
        [sys.executable, "-m", "gitlab_k8s_cd.pipeline.plan_diff", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_an_image_change_on_a_branch_shows_as_one_update_per_process_against_the_target(tmp_path):
    repo = checkout(tmp_path / "repo")
    stack = repo / "Pulumi.staging.yaml"
    stack.write_text(stack.read_text().replace(STAGING[key("image")], RELEASE))
    commit(repo, "deploy a release")
    result = run(repo, "--stack", "staging", "--target", "HEAD~1", "--out", str(tmp_path / "plan"))
    assert result.returncode == 0, result.stderr
    changes = json.loads((tmp_path / "plan" / "changes.json").read_text())
    assert changes["summary"]["update"] == 2 and changes["summary"]["replace"] == 0
    assert [c["type"] for c in changes["changes"]] == ["kubernetes:apps/v1:Deployment"] * 2  # web, worker
    assert (tmp_path / "plan-target" / "kubernetes.yaml").exists()
    assert (
        "worktree"
        not in subprocess.run(["git", "worktree", "list"], cwd=repo, capture_output=True, text=True).stdout.split(
            "\n", 1
        )[-1]
    )


def test_the_target_is_planned_with_its_own_code(tmp_path):
    repo = checkout(tmp_path / "repo")
    labels = repo / "components" / "labels.py"
    labels.write_text(labels.read_text().replace('PART_OF = "gitlab-k8s-cd"', 'PART_OF = "gitlab-k8s-cd-v2"'))
    commit(repo, "rename part-of")
    result = run(repo, "--stack", "staging", "--target", "HEAD~1", "--out", str(tmp_path / "plan"))
    assert result.returncode == 0, result.stderr
    changes = json.loads((tmp_path / "plan" / "changes.json").read_text())
    assert changes["summary"]["update"] >= 10  # every object's labels changed
    assert "gitlab-k8s-cd-v2" not in (tmp_path / "plan-target" / "kubernetes.yaml").read_text()
    assert "gitlab-k8s-cd-v2" in (tmp_path / "plan" / "kubernetes.yaml").read_text()


def with_image(repo, image, message):
    stack = repo / "Pulumi.staging.yaml"
    stack.write_text(stack.read_text().replace(STAGING[key("image")], image))
    commit(repo, message)


def test_a_branch_that_breaks_a_mandatory_policy_fails_the_diff_unless_the_stack_is_tagged_development(tmp_path):
    repo = checkout(tmp_path / "repo")
    with_image(repo, TAG_ONLY, "deploy a tag")
    result = run(repo, "--stack", "staging", "--target", "HEAD~1", "--out", str(tmp_path / "plan"))
    assert result.returncode == 1
    assert "  k8s-pinned-images: kubernetes:apps/v1:Deployment hello-workload-deployment: " in result.stderr
    assert json.loads((tmp_path / "plan" / "changes.json").read_text())["summary"]["update"] == 2  # still shown
    development = run(
        repo,
        "--stack",
        "staging",
        "--target",
        "HEAD~1",
        "--out",
        str(tmp_path / "dev"),
        "--stack-tag",
        "gitlab-k8s-cd:development=true",
    )
    assert development.returncode == 0, development.stderr
    assert "stack tags: gitlab-k8s-cd:development=true" in development.stdout


def test_a_branch_that_fixes_a_violation_is_compared_with_the_targets_plan_as_planned(tmp_path):
    repo = checkout(tmp_path / "repo")
    with_image(repo, TAG_ONLY, "deploy a tag")
    stack = repo / "Pulumi.staging.yaml"
    stack.write_text(stack.read_text().replace(TAG_ONLY, RELEASE))
    commit(repo, "deploy by digest again")
    result = run(repo, "--stack", "staging", "--target", "HEAD~1", "--out", str(tmp_path / "plan"))
    assert result.returncode == 0, result.stderr
    assert "the target's plan is invalid (exit 1); comparing with it as planned" in result.stderr
    changes = json.loads((tmp_path / "plan" / "changes.json").read_text())
    assert changes["summary"]["update"] == 2 and changes["summary"]["create"] == 0  # web, worker
