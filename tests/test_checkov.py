"""checkov finds nothing to fail in what the staging plan would apply, nor in the pipeline.

checkov runs from its own virtualenv (.venv-checkov, made by `make test`), because installed in
the main one it would downgrade `packaging`. A check is skipped only by the manifest itself, with
its reason (components.workload, components.process): secret settings as environment variables
(CKV_K8S_35), and the probes of a process that states why it has none (CKV_K8S_8, CKV_K8S_9).
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from components.workload import SECRETS_AS_ENVIRONMENT_REASON
from tests.conftest import ROOT


def checkov() -> str:
    local = ROOT / ".venv-checkov" / "bin" / "checkov"
    found = str(local) if local.exists() else shutil.which("checkov")
    if found is None:
        raise RuntimeError("checkov is not installed; `make test` installs it into .venv-checkov")
    return found


def scan(framework: str, *files) -> dict:
    command = [checkov(), "--framework", framework, "--output", "json", "--compact", "--skip-download"]
    for file in files:
        command += ["-f", str(file)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 1), result.stderr[-2000:]
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    found = {
        outcome: [
            (c["check_id"], c["resource"]) for r in reports for c in r.get("results", {}).get(f"{outcome}_checks", [])
        ]
        for outcome in ("passed", "failed")
    }
    found["skipped"] = [
        (c["check_id"], c["resource"], c["check_result"].get("suppress_comment"))
        for r in reports
        for c in r.get("results", {}).get("skipped_checks", [])
    ]
    summary = {k: sum(r.get("summary", {}).get(k, 0) for r in reports) for k in ("passed", "failed", "skipped")}
    return {"summary": summary, **found}


@pytest.fixture(scope="module")
def manifests(staging_plan, tmp_path_factory):
    out = tmp_path_factory.mktemp("plan")
    staging_plan.write(out)
    return out / "kubernetes.yaml"


@pytest.fixture(scope="module")
def scanned(manifests, review_plan, tmp_path_factory):
    """One scan of what the cluster holds once staging and a review stack are up: the review
    namespace holds both stacks' objects (its NetworkPolicies, which CKV2_K8S_6 looks for
    one per pod, are the base stack's)."""
    review = tmp_path_factory.mktemp("review-plan")
    review_plan.write(review)
    return scan("kubernetes", manifests, review / "kubernetes.yaml")


def test_the_staging_manifests_pass_every_kubernetes_check(scanned):
    assert scanned["failed"] == []
    assert len([r for _, r in scanned["passed"] if ".hello-staging." in r]) >= 100
    # Skipped only where the manifest says why: each Deployment that reads the secret settings
    # from its environment (the review apps have none).
    assert sorted(scanned["skipped"]) == [
        ("CKV_K8S_35", f"Deployment.hello-staging.{name}", SECRETS_AS_ENVIRONMENT_REASON)
        for name in ("hello", "hello-worker")
    ]


def test_a_process_without_probes_skips_checkovs_probe_checks_with_its_reason(tmp_path):
    """The component plan's scheduler states why it has no probes: checkov skips those two
    checks with that reason, and fails nothing else of the component's."""
    from tests.conftest import component

    plan = component("workloads")
    plan.write(tmp_path)
    report = scan("kubernetes", tmp_path / "kubernetes.yaml")
    reason = "it exits on any error, and the kubelet restarts it"
    scheduler = "Deployment.many-prod.many-scheduler"
    assert {(c, r, why) for c, r, why in report["skipped"] if r == scheduler} == {
        ("CKV_K8S_8", scheduler, reason),
        ("CKV_K8S_9", scheduler, reason),
        ("CKV_K8S_35", scheduler, SECRETS_AS_ENVIRONMENT_REASON),
    }
    assert not [c for c, r in report["failed"] if r == scheduler and c in ("CKV_K8S_8", "CKV_K8S_9")]


def test_the_staging_stack_with_a_migration_passes_every_kubernetes_check(tmp_path):
    """The migration Job is checked as a workload (checkov checks no probes on a Job); with the
    secret settings, it skips CKV_K8S_35 as the Deployments do, with the same reason."""
    from tests.conftest import plan_staging

    plan_staging({"migration": {"command": ["python3", "-m", "hello.migrate"]}}).write(tmp_path)
    report = scan("kubernetes", tmp_path / "kubernetes.yaml")
    assert report["failed"] == []
    job = "Job.hello-staging.hello-migrate-4c5c9903be6a"
    assert len([c for c, r in report["passed"] if r == job]) >= 20
    assert [(c, why) for c, r, why in report["skipped"] if r == job] == [("CKV_K8S_35", SECRETS_AS_ENVIRONMENT_REASON)]


def test_a_review_app_in_its_namespace_passes_every_kubernetes_check(scanned):
    assert scanned["failed"] == []
    checked = {r.split(".")[0] for _, r in scanned["passed"] if "hello-review-42" in r}
    assert checked >= {"Deployment", "Service", "Ingress", "ConfigMap"}


def test_the_pipeline_passes_every_gitlab_ci_check():
    report = scan("gitlab_ci", ROOT / ".gitlab-ci.yml", ROOT / "templates" / "continuous-deployment.yml")
    assert report["failed"] == []
    assert report["summary"]["passed"] > 0 and report["summary"]["skipped"] == 0


def test_checkov_would_catch_a_privileged_container(manifests, tmp_path):
    """The scan is live: a manifest made worse fails it."""
    text = manifests.read_text().replace("allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true")
    worse = tmp_path / "worse.yaml"
    worse.write_text(text)
    assert "CKV_K8S_20" in {check for check, _ in scan("kubernetes", worse)["failed"]}


def test_images_from_other_registries_pass_every_kubernetes_check(tmp_path):
    """With no deploy token: credentials (the pull Secrets the stack makes, in both namespaces), a
    Secret of your own, and a public image (no imagePullSecrets at all)."""
    from tests.conftest import REGISTRY_PASSWORD, image_pull_config, plan_staging

    credentials = {"username": "robot", "password": REGISTRY_PASSWORD, "shareWithReviewApps": True}
    files = []
    for label, image_pull in (
        ("credentials", credentials),
        ("own", {"secretName": "ghcr-pull"}),
        ("public", {"public": True}),
    ):
        plan_staging(**image_pull_config(image_pull)).write(tmp_path / label)
        files.append(tmp_path / label / "kubernetes.yaml")
    report = scan("kubernetes", *files)
    assert report["failed"] == []
    assert {check for check, _, _ in report["skipped"]} == {"CKV_K8S_35"}
    assert len([r for _, r in report["passed"] if r.startswith("Secret.hello-staging.hello-registry-pull")]) > 0
