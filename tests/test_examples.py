"""examples/orders: a second service a team writes with the library's typed Args (not the
staging example's config keys), planned offline as the staging stack is: web autoscaled behind
an Ingress, a worker, a migration Job before each rollout, secret settings, a quota that admits
it all."""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import PASSPHRASE, ROOT, plan_cli
from tests.test_checkov import scan

EXAMPLE = ROOT / "examples" / "orders"


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    out = tmp_path_factory.mktemp("orders")
    result = plan_cli("--project-dir", str(EXAMPLE), "--stack", "production", "--out", str(out))
    return result, list(yaml.safe_load_all((out / "kubernetes.yaml").read_text())), out


def test_the_example_plans_valid_manifests_that_pass_every_mandatory_policy(planned):
    result, _, _ = planned
    assert result.returncode == 0, result.stderr
    assert "note: orders:dbPassword is encrypted in the stack file; planned with a placeholder" in result.stdout
    assert "note: gitlab-k8s-cd:" not in result.stdout  # its program reads none of the library's config keys
    assert "Valid: " in result.stdout and "against the Kubernetes 1.31 schema (strict)" in result.stdout
    assert "Policies: no mandatory violation" in result.stdout


def test_the_example_runs_web_autoscaled_and_a_worker(planned):
    _, manifests, _ = planned
    deployments = {m["metadata"]["name"]: m for m in manifests if m["kind"] == "Deployment"}
    assert sorted(deployments) == ["orders", "orders-worker"]
    assert "replicas" not in deployments["orders"]["spec"] and deployments["orders-worker"]["spec"]["replicas"] == 2
    (autoscaler,) = [m for m in manifests if m["kind"] == "HorizontalPodAutoscaler"]
    assert (autoscaler["spec"]["minReplicas"], autoscaler["spec"]["maxReplicas"]) == (3, 12)
    (ingress,) = [m for m in manifests if m["kind"] == "Ingress"]
    assert ingress["spec"]["rules"][0]["host"] == "orders.example.com"


def test_the_example_migrates_before_any_process_rolls_out(planned):
    _, manifests, _ = planned
    (job,) = [m for m in manifests if m["kind"] == "Job"]
    assert job["metadata"]["name"] == "orders-migrate-7d5e1c1b0f3f"  # the image's digest names it
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["/orders", "migrate", "up"]
    assert container["image"].endswith("@sha256:7d5e1c1b0f3f1e0a4b9a6c2d8e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f")
    assert job["spec"]["activeDeadlineSeconds"] == 300 and job["spec"]["backoffLimit"] == 0


def test_the_examples_secret_setting_is_redacted_and_read_by_every_process(planned):
    _, manifests, out = planned
    (secret,) = [m for m in manifests if m["kind"] == "Secret" and m["metadata"]["name"] == "orders-secrets"]
    assert secret["stringData"] == {"DATABASE_PASSWORD": "[secret]"}
    written = "".join(path.read_text() for path in out.iterdir())
    assert "orders-db-password-for-tests" not in written  # what the stack file encrypts
    for deployment in (m for m in manifests if m["kind"] == "Deployment"):
        sources = deployment["spec"]["template"]["spec"]["containers"][0]["envFrom"]
        assert {"secretRef": {"name": "orders-secrets"}} in sources


def test_the_examples_manifests_pass_every_checkov_check(planned):
    _, _, out = planned
    report = scan("kubernetes", out / "kubernetes.yaml")
    assert report["failed"] == []
    # Skipped only with the manifests' stated reasons: secret settings as environment variables,
    # and the migration Job's probes (it runs to completion).
    assert {check for check, _, _ in report["skipped"]} <= {"CKV_K8S_35", "CKV_K8S_8", "CKV_K8S_9"}


def test_the_examples_stack_file_secrets_are_real_ciphertexts_of_its_passphrase():
    from tests.pulumi_passphrase import decrypt_value, key_from_encryption_salt

    stack = yaml.safe_load((EXAMPLE / "Pulumi.production.yaml").read_text())
    key = key_from_encryption_salt(PASSPHRASE, stack["encryptionsalt"])
    config = stack["config"]
    assert decrypt_value(key, config["orders:dbPassword"]["secure"]) == "orders-db-password-for-tests"
    assert decrypt_value(key, config["orders:pulumiConfigPassphrase"]["secure"]) == PASSPHRASE
