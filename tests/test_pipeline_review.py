"""gitlab_k8s_cd.pipeline.review: the review job's first step, which writes the review stack's file."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from gitlab_k8s_cd.pipeline.review import main
from tests.conftest import ROOT, STAGING, key, plan_cli

URL = "https://review-feature-x-bjrazc.review.hello.example.com"


@pytest.fixture
def project(tmp_path):
    """A Pulumi project with this repository's program and staging stack file."""
    for name in ("Pulumi.yaml", "Pulumi.staging.yaml", "__main__.py"):
        (tmp_path / name).symlink_to(ROOT / name)
    return tmp_path


def review(project, *extra, iid="42", environment="review/feature-x"):
    argv = ["config", "--base", "staging", "--merge-request-iid", iid, "--environment", environment]
    return main([*argv, "--project-dir", str(project), *extra])


def test_it_writes_the_review_stack_file_and_the_dotenv_report(project, capsys):
    assert review(project, "--dotenv", str(project / "review.env")) == 0
    assert capsys.readouterr().out == f"review-42: {URL}\n"
    written = yaml.safe_load((project / "Pulumi.review-42.yaml").read_text())
    assert written["config"][key("replicas")] == 1
    assert written["config"][key("environmentUrl")] == URL
    assert written["config"][key("image")] == STAGING[key("image")]
    assert (project / "review.env").read_text() == f"REVIEW_STACK=review-42\nREVIEW_URL={URL}\n"
    assert (project / "Pulumi.review-42.yaml").read_text().startswith("# Derived from Pulumi.staging.yaml")


def test_a_rewrite_keeps_the_stacks_own_settings(project):
    """`pulumi stack init` writes the passphrase's salt into the file; a later deploy keeps it."""
    stack_file = project / "Pulumi.review-42.yaml"
    stack_file.write_text("encryptionsalt: v1:c2FsdA==:v1:abc\nconfig:\n  gitlab-k8s-cd:replicas: 3\n")
    assert review(project) == 0
    written = yaml.safe_load(stack_file.read_text())
    assert written["encryptionsalt"] == "v1:c2FsdA==:v1:abc"
    assert written["config"][key("replicas")] == 1


def test_the_written_stack_plans_valid_manifests(project):
    """The offline plan of the written file: what CI's `pulumi up --stack review-42` would declare."""
    assert review(project) == 0
    result = plan_cli("--stack", "review-42", "--project-dir", str(project), "--out", str(project / "plan"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Valid: 5 manifests against the Kubernetes 1.31 schema (strict)" in result.stdout
    assert "note:" not in result.stdout  # no placeholder secret: a review stack needs none


def test_a_base_stack_without_review_apps_is_refused_with_exit_2(project, capsys):
    base = yaml.safe_load((ROOT / "Pulumi.staging.yaml").read_text())
    del base["config"][key("reviewApps")]
    (project / "Pulumi.staging.yaml").unlink()
    (project / "Pulumi.staging.yaml").write_text(yaml.safe_dump(base))
    assert review(project) == 2
    assert "gitlab-k8s-cd:reviewApps.enabled: must be true in the base stack" in capsys.readouterr().err
    assert not (project / "Pulumi.review-42.yaml").exists()


@pytest.mark.parametrize(
    ("iid", "environment", "message"),
    [
        ("abc", "review/x", "gitlab-k8s-cd:mergeRequestIid: must be an integer ≥ 1 (got 'abc')"),
        ("7", "review x\n", "gitlab-k8s-cd:environment: must be a GitLab environment name"),
    ],
)
def test_bad_merge_request_values_are_refused_with_exit_2(project, capsys, iid, environment, message):
    assert review(project, iid=iid, environment=environment) == 2
    assert message in capsys.readouterr().err


def test_a_missing_base_stack_is_named(project, capsys):
    argv = ["config", "--base", "production", "--merge-request-iid", "1", "--environment", "review/x"]
    assert main([*argv, "--project-dir", str(project)]) == 2
    assert f"no base stack file {project / 'Pulumi.production.yaml'}" in capsys.readouterr().err


def in_namespace(project, namespace: str) -> None:
    """Rewrite the project's staging stack file with its keys in ``namespace``, as a program that
    reads ``load_settings(namespace=...)`` has them."""
    base = yaml.safe_load((ROOT / "Pulumi.staging.yaml").read_text())
    base["config"] = {f"{namespace}:{k.partition(':')[2]}": value for k, value in base["config"].items()}
    (project / "Pulumi.staging.yaml").unlink()
    (project / "Pulumi.staging.yaml").write_text(yaml.safe_dump(base))


def test_a_qualified_image_key_names_the_namespace_read_and_written(project):
    """The component's image_config_key ``ledger:image``: the program reads ledger:*, so the review
    stack's keys are written there, where the deploy then sets ledger:image."""
    in_namespace(project, "ledger")
    assert review(project, "--image-key", "ledger:image") == 0
    written = yaml.safe_load((project / "Pulumi.review-42.yaml").read_text())["config"]
    assert {k.partition(":")[0] for k in written} == {"ledger"}
    assert written["ledger:replicas"] == 1 and written["ledger:image"] == STAGING[key("image")]


def test_a_bare_image_key_is_the_projects_namespace(project):
    assert review(project, "--image-key", "image") == 0
    written = yaml.safe_load((project / "Pulumi.review-42.yaml").read_text())["config"]
    assert {k.partition(":")[0] for k in written} == {key("x").partition(":")[0]}


def test_an_image_key_whose_namespace_holds_none_of_the_base_stacks_keys_is_refused(project, capsys):
    """The base stack's keys are the project's, the image key says the program reads ledger: the
    keys are where the program would never read them."""
    assert review(project, "--image-key", "ledger:image") == 2
    err = capsys.readouterr().err
    assert f"{key('app')}: is in the {key('app').partition(':')[0]} namespace, which this program does not read" in err
    assert "this program reads the ledger namespace" in err
    assert not (project / "Pulumi.review-42.yaml").exists()


def test_an_image_key_with_an_empty_namespace_is_refused_with_exit_2(project, capsys):
    assert review(project, "--image-key", ":image") == 2
    assert "namespace: must be a Pulumi config namespace, non-empty and without ':' (got '')" in capsys.readouterr().err


def test_it_runs_as_a_module():
    result = subprocess.run(
        [sys.executable, "-m", "gitlab_k8s_cd.pipeline.review", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0 and "config" in result.stdout
