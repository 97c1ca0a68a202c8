"""Binding config values to frozen Args (components/config_binder.py): the CLI's strings to the
ints and bools the Args declare, unset keys and members keeping the Args' defaults, objects' members
and their members' members, and an Args' refusal re-raised about the config key (``rollout.maxSurge``),
not the field. Each goes through ``load_settings()`` on the staging stack's config."""

from __future__ import annotations

import pytest

from gitlab_k8s_cd.components.config import ConfigError
from tests.conftest import image_pull_config, load


def test_cli_strings_become_the_ints_and_bools_the_args_declare():
    app = load(
        {"replicas": "3", "manageProject": "false", "rollout": {"maxSurge": "1", "maxUnavailable": "0"}}
    ).deployment
    assert app.spec.replicas == 3
    assert app.project.manage is False
    assert (app.spec.rollout.max_surge, app.spec.rollout.max_unavailable) == (1, 0)


def test_setting_one_probe_member_keeps_the_default_path():
    app = load({"livenessProbe": {"periodSeconds": 20}, "readinessProbe": {"failureThreshold": 1}}).deployment
    assert (app.spec.liveness.path, app.spec.liveness.period_seconds) == ("/healthz", 20)
    assert (app.spec.readiness.path, app.spec.readiness.failure_threshold) == ("/readyz", 1)


def test_unset_keys_keep_the_documented_defaults():
    app = load(drop=["rollout", "resources", "registryCleanup", "quota", "limitRange", "settings"]).deployment
    assert app.spec.rollout.max_surge == "25%" and app.spec.rollout.max_unavailable == 0
    assert app.spec.resources.cpu_request == "100m"
    assert app.project.cleanup.keep_n == 10
    assert app.quota is None and app.limit_range is None and dict(app.spec.settings) == {}


@pytest.mark.parametrize(
    "missing",
    [
        "app",
        "environment",
        "environmentUrl",
        "image",
        "gitlabProject",
        "clusterName",
        "clusterServer",
        "clusterCaData",
        "pulumiBackendUrl",
    ],
)
def test_a_required_key_that_is_missing_is_named(missing):
    with pytest.raises(ConfigError, match=rf"^gitlab-k8s-cd:{missing}: is required \(got None\)"):
        load(drop=[missing])


def test_a_settings_key_is_named_as_given_in_errors():
    with pytest.raises(ConfigError, match=r"^gitlab-k8s-cd:settings\['DB_PASSWORD'\]: is named like a secret"):
        load({"settings": {"DB_PASSWORD": "hunter2hunter2"}})


def test_processes_load_with_their_members_and_their_members_members():
    from gitlab_k8s_cd.components import ExecProbeArgs, ProcessSpec

    spec = load().deployment.spec
    (worker,) = spec.processes.values()
    assert isinstance(worker, ProcessSpec) and worker.command == ["python3", "-m", "hello.worker"]
    assert worker.liveness_probe == ExecProbeArgs(
        command=["python3", "-m", "hello.worker", "--check"], period_seconds=30
    )
    assert worker.resources.cpu_request == "50m" and worker.rollout is None  # the app's
    scaled = load(
        {"processes": {"worker": {"args": ["work"], "noProbeReason": "why", "autoscaling": {"maxReplicas": "3"}}}}
    ).deployment.spec.processes["worker"]
    assert scaled.autoscaling.max_replicas == 3 and scaled.autoscaling.min_replicas == 2


def test_an_image_pull_member_typo_gets_a_did_you_mean():
    with pytest.raises(ConfigError, match=r"^gitlab-k8s-cd:imagePull.secretname: is not a known key; did you mean"):
        load(**image_pull_config({"secretname": "ghcr-pull"}))
