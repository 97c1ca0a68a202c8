"""The production stack (Pulumi.production.yaml), planned offline beside staging: the
environment the second include of .gitlab-ci.yml promotes staging's digest to, by hand."""

from __future__ import annotations

import pytest
import yaml

from gitlab_k8s_cd.components import drift_check_description
from tests.conftest import PASSPHRASE, ROOT, plan_cli
from tests.test_checkov import scan

STACK_FILE = yaml.safe_load((ROOT / "Pulumi.production.yaml").read_text())
CONFIG = STACK_FILE["config"]
STAGING_FILE = yaml.safe_load((ROOT / "Pulumi.staging.yaml").read_text())
PRODUCTION_SECRETS = {"DB_PASSWORD": "production-db-password-for-tests"}
"""What the stack file's ``secure:`` values decrypt to, with the tests' passphrase."""


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    out = tmp_path_factory.mktemp("production")
    result = plan_cli("--stack", "production", "--out", str(out))
    manifests = list(yaml.safe_load_all((out / "kubernetes.yaml").read_text())) if result.returncode == 0 else []
    gitlab = yaml.safe_load((out / "gitlab.yaml").read_text()) if result.returncode == 0 else []
    return result, manifests, gitlab, out


def test_production_plans_valid_manifests_that_pass_every_mandatory_policy(planned):
    result, _, _, _ = planned
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Valid: 20 manifests against the Kubernetes 1.31 schema (strict)" in result.stdout
    assert "Policies: no mandatory violation" in result.stdout
    assert "warning:" not in result.stdout + result.stderr


def test_production_runs_more_replicas_than_staging_in_its_own_namespace(planned):
    _, manifests, _, _ = planned
    deployments = {m["metadata"]["name"]: m for m in manifests if m["kind"] == "Deployment"}
    assert {name: d["spec"]["replicas"] for name, d in deployments.items()} == {"hello": 4, "hello-worker": 2}
    assert CONFIG["gitlab-k8s-cd:replicas"] > STAGING_FILE["config"]["gitlab-k8s-cd:replicas"]
    assert {m["metadata"].get("namespace", m["metadata"]["name"]) for m in manifests} == {"hello-production"}
    for deployment in deployments.values():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["image"] == CONFIG["gitlab-k8s-cd:image"] and "@sha256:" in container["image"]
    (ingress,) = [m for m in manifests if m["kind"] == "Ingress"]
    assert ingress["spec"]["rules"][0]["host"] == "hello.example.com"


def test_production_is_a_protected_environment_whose_deployments_wait_for_two_approvals(planned):
    _, _, gitlab, _ = planned
    by_type = {resource["type"].split(":")[-1]: resource["inputs"] for resource in gitlab}
    assert by_type["ProjectEnvironment"]["name"] == "production"
    assert by_type["ProjectEnvironment"]["tier"] == "production"
    protection = by_type["ProjectProtectedEnvironment"]
    assert protection["environment"] == "production"
    assert protection["deployAccessLevelsAttributes"] == [{"accessLevel": "maintainer"}]
    assert protection["approvalRules"] == [{"accessLevel": "maintainer", "requiredApprovals": 2}]


def test_production_looks_the_project_up_and_leaves_it_and_review_apps_to_staging(planned):
    """One stack per project manages the project's settings (staging's); review apps derive from staging."""
    _, manifests, gitlab, _ = planned
    assert CONFIG["gitlab-k8s-cd:manageProject"] is False
    assert STAGING_FILE["config"]["gitlab-k8s-cd:manageProject"] is True
    assert not [r for r in gitlab if r["type"].endswith(":Project")]
    assert "gitlab-k8s-cd:reviewApps" not in CONFIG
    assert not [m for m in manifests if "review" in m["metadata"].get("namespace", m["metadata"]["name"])]


def test_production_has_its_own_nightly_schedule_which_its_include_recognises(planned):
    _, _, gitlab, _ = planned
    (schedule,) = [r["inputs"] for r in gitlab if r["type"].endswith(":PipelineSchedule")]
    assert schedule["description"] == drift_check_description("production")
    assert schedule["cron"] == "30 3 * * *"


def test_production_keeps_its_state_and_its_secrets_apart_from_stagings():
    from tests.pulumi_passphrase import decrypt_value, key_from_encryption_salt

    assert STACK_FILE["encryptionsalt"] != STAGING_FILE["encryptionsalt"]
    assert CONFIG["gitlab-k8s-cd:pulumiBackendUrl"] != STAGING_FILE["config"]["gitlab-k8s-cd:pulumiBackendUrl"]
    key = key_from_encryption_salt(PASSPHRASE, STACK_FILE["encryptionsalt"])
    secrets = CONFIG["gitlab-k8s-cd:secrets"]
    assert {name: decrypt_value(key, value["secure"]) for name, value in secrets.items()} == PRODUCTION_SECRETS


def test_productions_secret_is_redacted_from_the_plan(planned):
    _, manifests, _, out = planned
    (secret,) = [m for m in manifests if m["kind"] == "Secret" and m["metadata"]["name"] == "hello-secrets"]
    assert secret["stringData"] == {"DB_PASSWORD": "[secret]"}
    written = "".join(path.read_text() for path in out.iterdir())
    assert PRODUCTION_SECRETS["DB_PASSWORD"] not in written


def test_productions_manifests_pass_every_checkov_check(planned):
    _, _, _, out = planned
    report = scan("kubernetes", out / "kubernetes.yaml")
    assert report["failed"] == []
    assert {check for check, _, _ in report["skipped"]} <= {"CKV_K8S_35"}


CANARY_IMAGE = "registry.gitlab.com/acme/hello@sha256:" + "c" * 64


def test_production_declares_a_one_pod_canary_that_its_deploy_canary_job_turns_on(planned, tmp_path):
    """Declared, the canary is off (no canaryImage) yet the deployer may run it; with the image
    CI's deploy-canary passes, one canary pod runs beside web's four, and web keeps its image."""
    _, manifests, _, _ = planned
    assert CONFIG["gitlab-k8s-cd:canary"] == {"replicas": 1}
    assert "hello-canary" not in {m["metadata"]["name"] for m in manifests if m["kind"] == "Deployment"}
    (role,) = [m for m in manifests if m["kind"] == "Role" and m["metadata"]["name"] == "hello-deployer"]
    assert any(
        "deployments" in rule["resources"] and "hello-canary" in rule.get("resourceNames", []) for rule in role["rules"]
    )
    canary = plan_cli("--stack", "production", "--out", str(tmp_path), "-c", f"canaryImage={CANARY_IMAGE}")
    assert canary.returncode == 0, canary.stdout + canary.stderr
    deployments = {
        m["metadata"]["name"]: m
        for m in yaml.safe_load_all((tmp_path / "kubernetes.yaml").read_text())
        if m["kind"] == "Deployment"
    }
    assert deployments["hello-canary"]["spec"]["replicas"] == 1
    assert deployments["hello-canary"]["spec"]["template"]["spec"]["containers"][0]["image"] == CANARY_IMAGE
    assert deployments["hello"]["spec"]["template"]["spec"]["containers"][0]["image"] == CONFIG["gitlab-k8s-cd:image"]
