"""The pod every workload of an app runs (gitlab_k8s_cd.components.pod_template): restricted, its
image pulled with the pull secrets at every start, its settings and secret settings in its
environment, around each process's own container fields."""

from __future__ import annotations

import pytest

from gitlab_k8s_cd.components import AppSpec, ExecProbeArgs, ProcessSpec, ResourcesArgs
from gitlab_k8s_cd.components.pod_template import (
    SECRETS_AS_ENVIRONMENT_REASON,
    SECRETS_AS_FILES_CHECK,
    PodTemplate,
    process_container,
)
from tests.conftest import component

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
IMAGE = "registry.example.com/acme/hello@sha256:" + "ab" * 32


@pytest.fixture(scope="module")
def single():
    return component("workloads")


@pytest.fixture(scope="module")
def deployment(staging_plan):
    return staging_plan.get(DEPLOYMENT, "hello-workload-deployment").inputs


def container(deployment):
    return deployment["spec"]["template"]["spec"]["containers"][0]


def template(**overrides) -> PodTemplate:
    fields = {"image": IMAGE, "run_as_user": 4242, "service_account": "hello", "settings": "hello-settings-x"}
    return PodTemplate(**{**fields, **overrides})


# --- in the staging plan (moved from tests/test_workload.py) ----------------------------------


def test_probes_hit_the_http_port(deployment):
    app = container(deployment)
    assert app["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert app["readinessProbe"]["periodSeconds"] == 5
    assert app["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert "startupProbe" not in app
    assert app["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]


def test_startup_probe_is_added_when_configured(single):
    app = container(single.get(DEPLOYMENT, "single-deployment").inputs)
    assert app["startupProbe"]["httpGet"]["path"] == "/startz"
    assert app["startupProbe"]["failureThreshold"] == 30


def test_requests_and_limits_are_set(deployment):
    assert container(deployment)["resources"] == {
        "requests": {"cpu": "100m", "memory": "64Mi"},
        "limits": {"cpu": "500m", "memory": "128Mi"},
    }


def test_container_and_pod_run_restricted(deployment):
    security = container(deployment)["securityContext"]
    assert security["runAsNonRoot"] is True
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["seccompProfile"] == {"type": "RuntimeDefault"}
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False


def test_a_read_only_root_filesystem_still_gets_a_writable_tmp(deployment):
    pod = deployment["spec"]["template"]["spec"]
    assert container(deployment)["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]
    assert pod["volumes"] == [{"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}}]


def test_pods_pull_with_the_registry_secret(staging_plan, deployment):
    pull_secret = staging_plan.get("kubernetes:core/v1:Secret", "hello-registry-pull-secret")
    assert deployment["spec"]["template"]["spec"]["imagePullSecrets"] == [
        {"name": pull_secret.inputs["metadata"]["name"]}
    ]


# --- the template itself ----------------------------------------------------------------------


def test_every_container_and_pod_runs_restricted_as_the_apps_user():
    pod = template().pod_spec({"name": "hello"}, ResourcesArgs())
    (app,) = pod["containers"]
    assert app["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": 4242,
        "runAsGroup": 4242,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 4242,
        "runAsGroup": 4242,
        "fsGroup": 4242,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert (pod["serviceAccountName"], pod["automountServiceAccountToken"]) == ("hello", False)


def test_the_image_is_the_apps_unless_a_pod_is_given_its_own_and_is_pulled_at_every_start():
    pods = template()
    canary = "registry.example.com/acme/hello@sha256:" + "ef" * 32
    assert pods.pod_spec({"name": "hello"}, ResourcesArgs())["containers"][0]["image"] == IMAGE
    own = pods.pod_spec({"name": "hello"}, ResourcesArgs(), canary)["containers"][0]
    assert (own["image"], own["imagePullPolicy"]) == (canary, "Always")
    # The container's own fields are kept around the shared ones.
    assert own["name"] == "hello"


def test_pods_pull_with_each_pull_secret_given_in_order():
    assert template().pod_spec({"name": "a"}, ResourcesArgs())["imagePullSecrets"] == []
    pod = template(pull_secrets=("hello-registry-pull", "mirror-pull")).pod_spec({"name": "a"}, ResourcesArgs())
    assert pod["imagePullSecrets"] == [{"name": "hello-registry-pull"}, {"name": "mirror-pull"}]


def test_secret_settings_follow_the_settings_in_the_environment_and_exempt_checkovs_files_check():
    plain = template()
    assert plain.pod_spec({"name": "a"}, ResourcesArgs())["containers"][0]["envFrom"] == [
        {"configMapRef": {"name": "hello-settings-x"}}
    ]
    assert plain.checkov_skips == {}
    with_secret = template(secret="hello-secrets")
    assert with_secret.environment == [
        {"configMapRef": {"name": "hello-settings-x"}},
        {"secretRef": {"name": "hello-secrets"}},
    ]
    assert with_secret.checkov_skips == {SECRETS_AS_FILES_CHECK: SECRETS_AS_ENVIRONMENT_REASON}


def test_a_processs_container_is_named_after_it_and_runs_its_command_with_exec_probes():
    alive = ExecProbeArgs(command=["/app/alive"])
    ready = ExecProbeArgs(command=["/app/ready"], period_seconds=5)
    spec = AppSpec(
        processes={
            "worker": ProcessSpec(command=["/app/worker"], args=["--queue", "mail"], liveness_probe=alive),
            "sweeper": ProcessSpec(args=["sweep"], liveness_probe=alive, readiness_probe=ready),
            "cron": ProcessSpec(command=["/app/cron"], no_probe_reason="it exits when it loses its lock"),
        }
    )
    web, worker, sweeper, cron = (process_container("hello", spec, p) for p in spec.running())
    assert web["name"] == "hello" and web["ports"][0]["containerPort"] == spec.container_port
    assert worker == {
        "name": "worker",
        "command": ["/app/worker"],
        "args": ["--queue", "mail"],
        "livenessProbe": alive.manifest(),
        # Without a readiness probe of its own, ready is alive: no Service sends it traffic.
        "readinessProbe": alive.manifest(),
    }
    assert sweeper == {
        "name": "sweeper",
        "args": ["sweep"],
        "livenessProbe": alive.manifest(),
        "readinessProbe": ready.manifest(),
    }
    assert cron == {"name": "cron", "command": ["/app/cron"]}
