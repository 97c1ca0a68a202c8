"""The offline plan command: python -m gitlab_k8s_cd.components.plan."""

from __future__ import annotations

import json

import pytest
import yaml

from gitlab_k8s_cd.components.stack_file import OFFLINE_SECRET
from tests.conftest import DIGEST, PASSPHRASE, ROOT
from tests.conftest import plan_cli as plan


@pytest.fixture(scope="module")
def staging(tmp_path_factory):
    out = tmp_path_factory.mktemp("plan")
    return plan("--stack", "staging", "--out", str(out)), out


def test_the_staging_plan_is_valid_and_exits_0(staging):
    result, _ = staging
    assert result.returncode == 0, result.stderr
    assert "Valid: 31 manifests against the Kubernetes 1.31 schema (strict)" in result.stdout


def test_a_migration_is_planned_validated_strictly_and_passes_every_mandatory_policy(tmp_path):
    """`-c migration=...` as `pulumi up -c` would take it: one more manifest, the Job, valid on the
    schema and under the policy pack (it states why it has no probes)."""
    migration = json.dumps({"command": ["python3", "-m", "hello.migrate"], "budgetSeconds": 300})
    result = plan("--stack", "staging", "--out", str(tmp_path), "-c", f"migration={migration}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Valid: 32 manifests against the Kubernetes 1.31 schema (strict)" in result.stdout
    assert "Policies: no mandatory violation" in result.stdout
    assert "warning:" not in result.stdout + result.stderr
    (job,) = [m for m in yaml.safe_load_all((tmp_path / "kubernetes.yaml").read_text()) if m["kind"] == "Job"]
    assert job["metadata"]["name"] == "hello-migrate-4c5c9903be6a"
    assert job["spec"]["activeDeadlineSeconds"] == 300
    assert "─ hello-workload-migration (kubernetes:batch/v1:Job)" in result.stdout


def test_the_plan_prints_a_tree_with_secrets_redacted(staging):
    result, _ = staging
    assert "─ hello-workload-deployment (kubernetes:apps/v1:Deployment)" in result.stdout
    assert "KUBECONFIG_B64=[secret]" in result.stdout
    assert "PULUMI_CONFIG_PASSPHRASE=[secret]" in result.stdout
    assert OFFLINE_SECRET not in result.stdout


def test_the_plan_writes_manifests_and_gitlab_settings_with_no_secret_in_them(staging):
    _, out = staging
    manifests = list(yaml.safe_load_all((out / "kubernetes.yaml").read_text()))
    assert [list(m)[:3] for m in manifests] == [["apiVersion", "kind", "metadata"]] * 31
    assert manifests[0]["kind"] == "Namespace" and manifests[-1]["kind"] == "Ingress"
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


def test_compare_reports_an_image_bump_as_one_update_per_process(staging, tmp_path):
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
    # Every process's Deployment (web's and the worker's), and nothing else.
    unchanged = len(json.loads((before / "resources.json").read_text())) - 2
    assert f"0 to create, 2 to update, 0 to replace, 0 to delete, {unchanged} unchanged" in result.stdout
    assert "~ update  kubernetes:apps/v1:Deployment  hello-workload-deployment" in result.stdout
    assert "~ update  kubernetes:apps/v1:Deployment  hello-workload-worker-deployment" in result.stdout
    changes = json.loads((tmp_path / "changes.json").read_text())
    assert changes["summary"] == {"create": 0, "update": 2, "replace": 0, "delete": 0, "unchanged": unchanged}


def test_the_kubernetes_version_is_configurable(tmp_path):
    result = plan("--stack", "staging", "--out", str(tmp_path), "--kubernetes-version", "1.35")
    assert result.returncode == 0 and "Kubernetes 1.35 schema" in result.stdout
    unknown = plan("--stack", "staging", "--kubernetes-version", "1.12")
    assert unknown.returncode == 2 and "invalid choice" in unknown.stderr


TAG_ONLY, LATEST = "registry.gitlab.com/acme/hello:1.2.3", "registry.gitlab.com/acme/hello:latest"


STACK_FILE = (ROOT / "Pulumi.staging.yaml").read_text()


QUOTED_DATE = 'gitlab-k8s-cd:deployTokenExpiresAt: "2027-11-30"'


def project_with(tmp_path, stack_text):
    """A project with this repository's program and ``stack_text`` as its staging stack file."""
    for name in ("Pulumi.yaml", "__main__.py"):
        (tmp_path / name).symlink_to(ROOT / name)
    (tmp_path / "Pulumi.staging.yaml").write_text(stack_text)
    return tmp_path


def plan_project(project, *args):
    return plan("--stack", "staging", "--project-dir", str(project), "--out", str(project / "plan"), *args)


def test_an_image_from_another_registry_with_credentials_plans_valid_with_no_deploy_token(tmp_path):
    """The stack file as `pulumi config set --secret --path imagePull.password` leaves it: the
    password encrypted, the rest plain. The plan validates every manifest strictly and evaluates
    the policy pack (exit 0: no mandatory violation), with no GitLab deploy token anywhere."""
    from tests import pulumi_passphrase as pp

    document = yaml.safe_load(STACK_FILE)
    config = document["config"]
    password = pp.encrypt_value(pp.key_from_encryption_salt(PASSPHRASE, document["encryptionsalt"]), "ghcr-token-1")
    config["gitlab-k8s-cd:image"] = f"ghcr.io/acme/hello@{DIGEST}"
    config["gitlab-k8s-cd:imagePull"] = {
        "username": "robot",
        "password": {"secure": password},
        "shareWithReviewApps": True,
    }
    del config["gitlab-k8s-cd:deployTokenExpiresAt"], config["gitlab-k8s-cd:reviewApps"]["deployTokenExpiresAt"]
    project = project_with(tmp_path, yaml.safe_dump(document, sort_keys=False))
    result = plan_project(project)
    assert result.returncode == 0, result.stderr
    assert "Valid: 31 manifests against the Kubernetes 1.31 schema (strict)" in result.stdout
    assert "gitlab-k8s-cd:imagePull is encrypted in the stack file; planned with a placeholder secret" in result.stdout
    manifests = list(yaml.safe_load_all((project / "plan" / "kubernetes.yaml").read_text()))
    pulls = [m for m in manifests if m["kind"] == "Secret" and m["type"] == "kubernetes.io/dockerconfigjson"]
    assert {(m["metadata"]["namespace"], m["metadata"]["name"]) for m in pulls} == {
        ("hello-staging", "hello-registry-pull"),
        ("hello-review", "hello-registry-pull"),
    }
    assert all(m["stringData"] == {".dockerconfigjson": "[secret]"} for m in pulls)
    assert "ProjectDeployToken" not in (project / "plan" / "gitlab.yaml").read_text()
    assert password not in result.stdout + result.stderr


def test_the_staging_plan_passes_every_mandatory_policy(staging):
    result, _ = staging
    assert "Policies: no mandatory violation (10 rules of " in result.stdout
    assert "stack tags: none)" in result.stdout
    assert "warning:" not in result.stdout + result.stderr
