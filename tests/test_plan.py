"""The offline plan command: python -m components.plan."""

from __future__ import annotations

import json

import pytest
import yaml

from components.plan import OFFLINE_SECRET
from tests.conftest import DIGEST, PASSPHRASE, ROOT
from tests.conftest import plan_cli as plan


@pytest.fixture(scope="module")
def staging(tmp_path_factory):
    out = tmp_path_factory.mktemp("plan")
    return plan("--stack", "staging", "--out", str(out)), out


def test_the_staging_plan_is_valid_and_exits_0(staging):
    result, _ = staging
    assert result.returncode == 0, result.stderr
    assert "Valid: 27 manifests against the Kubernetes 1.31 schema (strict)" in result.stdout


def test_the_plan_prints_a_tree_with_secrets_redacted(staging):
    result, _ = staging
    assert "─ hello-workload-deployment (kubernetes:apps/v1:Deployment)" in result.stdout
    assert "KUBECONFIG_B64=[secret]" in result.stdout
    assert "PULUMI_CONFIG_PASSPHRASE=[secret]" in result.stdout
    assert OFFLINE_SECRET not in result.stdout


def test_the_plan_writes_manifests_and_gitlab_settings_with_no_secret_in_them(staging):
    _, out = staging
    manifests = list(yaml.safe_load_all((out / "kubernetes.yaml").read_text()))
    assert [list(m)[:3] for m in manifests] == [["apiVersion", "kind", "metadata"]] * 27
    assert manifests[0]["kind"] == "Namespace" and manifests[-1]["kind"] == "Deployment"
    gitlab = yaml.safe_load((out / "gitlab.yaml").read_text())
    assert {"type", "name", "inputs"} == set(gitlab[0])
    for name in ("kubernetes.yaml", "gitlab.yaml", "resources.json"):
        text = (out / name).read_text()
        assert OFFLINE_SECRET not in text and "offline-plan-" not in text, name


def test_the_plan_is_byte_for_byte_repeatable(staging, tmp_path):
    _, out = staging
    again = plan("--stack", "staging", "--out", str(tmp_path))
    assert again.returncode == 0
    for name in ("kubernetes.yaml", "gitlab.yaml", "resources.json"):
        assert (tmp_path / name).read_text() == (out / name).read_text(), name


def test_a_secret_from_the_environment_is_used_but_never_shown(tmp_path):
    result = plan("--stack", "staging", "--out", str(tmp_path), env={"PULUMI_CONFIG_PASSPHRASE": PASSPHRASE})
    assert result.returncode == 0
    assert "pulumiConfigPassphrase is not set here" not in result.stdout
    assert PASSPHRASE not in result.stdout + result.stderr
    assert all(PASSPHRASE not in f.read_text() for f in tmp_path.iterdir())


def test_a_configuration_error_exits_2_naming_the_key_the_value_and_the_expectation(tmp_path):
    result = plan("--stack", "staging", "--out", str(tmp_path), "-c", "replicas=0")
    assert result.returncode == 2
    assert "gitlab-k8s-cd:replicas: must be an integer ≥ 1 (got 0)" in result.stderr
    assert not (tmp_path / "kubernetes.yaml").exists()


def test_an_unknown_stack_exits_2(tmp_path):
    result = plan("--stack", "nope", "--out", str(tmp_path))
    assert result.returncode == 2 and "no stack file Pulumi.nope.yaml" in result.stderr


def test_an_invalid_manifest_exits_1_naming_the_object_and_the_field(tmp_path):
    project = ROOT / "tests/programs/invalid_manifest"
    result = plan("--stack", "test", "--out", str(tmp_path), "--project-dir", str(project))
    assert result.returncode == 1, result.stderr
    assert "Deployment default/broken: spec.template.spec.containers[0]" in result.stderr
    assert "imagePullPolcy" in result.stderr


def test_compare_reports_an_image_bump_as_one_update(staging, tmp_path):
    _, before = staging
    result = plan(
        "--stack",
        "staging",
        "--out",
        str(tmp_path),
        "--compare",
        str(before),
        "-c",
        f"gitlab-k8s-cd:image=registry.gitlab.com/acme/hello@{DIGEST}",
    )
    assert result.returncode == 0, result.stderr
    unchanged = len(json.loads((before / "resources.json").read_text())) - 1
    assert f"0 to create, 1 to update, 0 to replace, 0 to delete, {unchanged} unchanged" in result.stdout
    assert "~ update  kubernetes:apps/v1:Deployment  hello-workload-deployment" in result.stdout
    changes = json.loads((tmp_path / "changes.json").read_text())
    assert changes["summary"] == {"create": 0, "update": 1, "replace": 0, "delete": 0, "unchanged": unchanged}


def test_the_kubernetes_version_is_configurable(tmp_path):
    result = plan("--stack", "staging", "--out", str(tmp_path), "--kubernetes-version", "1.35")
    assert result.returncode == 0 and "Kubernetes 1.35 schema" in result.stdout
    unknown = plan("--stack", "staging", "--kubernetes-version", "1.12")
    assert unknown.returncode == 2 and "invalid choice" in unknown.stderr
