"""checkov finds nothing to fail in what the staging plan would apply, nor in the pipeline.

checkov runs from its own virtualenv (.venv-checkov, made by `make test`), because installed in
the main one it would downgrade `packaging`. A check is skipped only by the manifest itself, with
its reason (components/workload.py, process.py): secret settings as environment variables
(CKV_K8S_35), and the probes of a process that states why it has none (CKV_K8S_8, CKV_K8S_9).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from gitlab_k8s_cd.components.pod_template import SECRETS_AS_ENVIRONMENT_REASON
from tests.conftest import ROOT


def checkov() -> str:
    local = ROOT / ".venv-checkov" / "bin" / "checkov"
    found = str(local) if local.exists() else shutil.which("checkov")
    if found is None:
        raise RuntimeError("checkov is not installed; `make test` installs it into .venv-checkov")
    return found


def scan(framework: str, *files) -> dict:
    """One checkov run over ``files``: each outcome's (check id, resource) pairs, the skipped ones
    with their comment, and ``by_file``, the same per file (resources repeat across files)."""
    command = [checkov(), "--framework", framework, "--output", "json", "--compact", "--skip-download"]
    for file in files:
        command += ["-f", str(file)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 1), result.stderr[-2000:]
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    checks = {
        outcome: [c for r in reports for c in r.get("results", {}).get(f"{outcome}_checks", [])]
        for outcome in ("passed", "failed", "skipped")
    }
    by_file: dict[str, dict[str, list]] = {}
    for outcome, found in checks.items():
        for c in found:
            entry = (c["check_id"], c["resource"])
            if outcome == "skipped":
                entry = (*entry, c["check_result"].get("suppress_comment"))
            path = str(Path(c["file_abs_path"]).resolve()) if c.get("file_abs_path") else c.get("file_path", "")
            by_file.setdefault(path, {"passed": [], "failed": [], "skipped": []})[outcome].append(entry)
    summary = {k: sum(r.get("summary", {}).get(k, 0) for r in reports) for k in ("passed", "failed", "skipped")}
    flat = {outcome: [e for f in by_file.values() for e in f[outcome]] for outcome in ("passed", "failed", "skipped")}
    return {"summary": summary, **flat, "by_file": by_file}


def of(report: dict, file) -> dict:
    """``report``'s outcomes for one of the files it scanned."""
    return report["by_file"].get(str(Path(file).resolve()), {"passed": [], "failed": [], "skipped": []})


@pytest.fixture(scope="module")
def manifests(staging_plan, tmp_path_factory):
    out = tmp_path_factory.mktemp("plan")
    staging_plan.write(out)
    return out / "kubernetes.yaml"


@pytest.fixture(scope="module")
def files(manifests, review_plan, canary_plan, tmp_path_factory):
    """What each test scans, written once: checkov starts once for all of them (each start costs
    seconds). The review namespace holds both staging's and the review stack's objects (its
    NetworkPolicies, which CKV2_K8S_6 looks for one per pod, are the base stack's)."""
    from tests.conftest import REGISTRY_PASSWORD, component, image_pull_config, plan_staging

    root = tmp_path_factory.mktemp("checkov")
    written = {"staging": manifests}

    def write(label, plan):
        plan.write(root / label)
        written[label] = root / label / "kubernetes.yaml"

    write("review", review_plan)
    write("workloads", component("workloads"))
    write("migration", plan_staging({"migration": {"command": ["python3", "-m", "hello.migrate"]}}))
    write("canary", canary_plan)
    # Credentials: the pull Secrets the stack makes, in both namespaces (a Secret of your own, or a
    # public image, only take the pull Secret away).
    credentials = {"username": "robot", "password": REGISTRY_PASSWORD, "shareWithReviewApps": True}
    write("credentials", plan_staging(**image_pull_config(credentials)))
    # The scan is live: a manifest made worse fails it.
    worse = root / "worse.yaml"
    worse.write_text(manifests.read_text().replace("allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true"))
    written["worse"] = worse
    return written


@pytest.fixture(scope="module")
def everything(files):
    return scan("kubernetes", *files.values())


@pytest.fixture(scope="module")
def scanned(everything, files):
    """Staging's and the review stack's outcomes."""
    return {
        outcome: of(everything, files["staging"])[outcome] + of(everything, files["review"])[outcome]
        for outcome in ("passed", "failed", "skipped")
    }


def test_the_staging_manifests_pass_every_kubernetes_check(scanned):
    assert scanned["failed"] == []
    assert len([r for _, r in scanned["passed"] if ".hello-staging." in r]) >= 100
    # Skipped only where the manifest says why: each Deployment that reads the secret settings
    # from its environment (the review apps have none).
    assert sorted(scanned["skipped"]) == [
        ("CKV_K8S_35", f"Deployment.hello-staging.{name}", SECRETS_AS_ENVIRONMENT_REASON)
        for name in ("hello", "hello-worker")
    ]


def test_a_process_without_probes_skips_checkovs_probe_checks_with_its_reason(everything, files):
    """The component plan's scheduler states why it has no probes: checkov skips those two
    checks with that reason, and fails nothing else of the component's."""
    report = of(everything, files["workloads"])
    reason = "it exits on any error, and the kubelet restarts it"
    scheduler = "Deployment.many-prod.many-scheduler"
    assert {(c, r, why) for c, r, why in report["skipped"] if r == scheduler} == {
        ("CKV_K8S_8", scheduler, reason),
        ("CKV_K8S_9", scheduler, reason),
        ("CKV_K8S_35", scheduler, SECRETS_AS_ENVIRONMENT_REASON),
    }
    assert not [c for c, r in report["failed"] if r == scheduler and c in ("CKV_K8S_8", "CKV_K8S_9")]


def test_the_staging_stack_with_a_migration_passes_every_kubernetes_check(everything, files):
    """The migration Job is checked as a workload (checkov checks no probes on a Job); with the
    secret settings, it skips CKV_K8S_35 as the Deployments do, with the same reason."""
    report = of(everything, files["migration"])
    assert report["failed"] == []
    job = "Job.hello-staging.hello-migrate-4c5c9903be6a"
    assert len([c for c, r in report["passed"] if r == job]) >= 20
    assert [(c, why) for c, r, why in report["skipped"] if r == job] == [("CKV_K8S_35", SECRETS_AS_ENVIRONMENT_REASON)]


def test_the_staging_stack_with_its_canary_running_passes_every_kubernetes_check(everything, files):
    """web's canary Deployment is checked as web's is, and skips what web skips, with the same reason."""
    report = of(everything, files["canary"])
    assert report["failed"] == []
    canary = "Deployment.hello-staging.hello-canary"
    assert len([c for c, r in report["passed"] if r == canary]) >= 20
    assert sorted(report["skipped"]) == [
        ("CKV_K8S_35", f"Deployment.hello-staging.{name}", SECRETS_AS_ENVIRONMENT_REASON)
        for name in ("hello", "hello-canary", "hello-worker")
    ]


def test_a_review_app_in_its_namespace_passes_every_kubernetes_check(scanned):
    assert scanned["failed"] == []
    checked = {r.split(".")[0] for _, r in scanned["passed"] if "hello-review-42" in r}
    assert checked >= {"Deployment", "Service", "Ingress", "ConfigMap"}


def test_the_pipeline_passes_every_gitlab_ci_check():
    report = scan("gitlab_ci", ROOT / ".gitlab-ci.yml", ROOT / "templates" / "continuous-deployment.yml")
    assert report["failed"] == []
    assert report["summary"]["passed"] > 0 and report["summary"]["skipped"] == 0


def test_checkov_would_catch_a_privileged_container(everything, files):
    """The scan is live: a manifest made worse fails it."""
    assert "CKV_K8S_20" in {check for check, _ in of(everything, files["worse"])["failed"]}


def test_an_image_from_another_registry_passes_every_kubernetes_check(everything, files):
    """With no deploy token: the pull Secrets the stack makes from credentials, in both namespaces."""
    report = of(everything, files["credentials"])
    assert report["failed"] == []
    assert {check for check, _, _ in report["skipped"]} == {"CKV_K8S_35"}
    assert len([r for _, r in report["passed"] if r.startswith("Secret.hello-staging.hello-registry-pull")]) > 0
