"""The config loader: typed settings, and a clear refusal for every bad value, before any resource."""

from __future__ import annotations

import pytest

from components.config import ConfigError
from components.testing import Secret
from tests.conftest import DIGEST, PASSPHRASE, SECRETS, key, load, plan_staging

PASSPHRASE_KEY = key("pulumiConfigPassphrase")


def test_staging_config_loads_into_typed_settings():
    settings = load()
    app = settings.deployment
    assert (app.app, app.environment, app.instance) == ("hello", "staging", "hello-staging")
    assert app.spec.replicas == 2 and isinstance(app.spec.replicas, int)
    assert app.spec.rollout.max_surge == "25%" and app.spec.rollout.max_unavailable == 0
    assert app.spec.readiness.path == "/readyz" and app.spec.readiness.period_seconds == 5
    assert app.project.path == "acme/hello" and app.project.manage is True
    assert app.cluster.name == "staging-eu-1"
    assert settings.gitlab_api_url == "https://gitlab.com/api/v4/"


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


def test_image_can_be_overridden_with_a_digest():
    image = f"registry.gitlab.com/acme/hello@{DIGEST}"
    assert load({"image": image}).deployment.image == image


def test_unset_keys_keep_the_documented_defaults():
    app = load(drop=["rollout", "resources", "registryCleanup", "quota", "limitRange", "settings"]).deployment
    assert app.spec.rollout.max_surge == "25%" and app.spec.rollout.max_unavailable == 0
    assert app.spec.resources.cpu_request == "100m"
    assert app.project.cleanup.keep_n == 10
    assert app.quota is None and app.limit_range is None and dict(app.spec.settings) == {}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"app": "Hello_App"}, r"^gitlab-k8s-cd:app: must be a DNS-1035 label.*\(got 'Hello_App'\)"),
        ({"namespace": "x" * 64}, r"^gitlab-k8s-cd:namespace: must be a DNS-1123 label"),
        ({"image": "registry.gitlab.com/acme/hello"}, r"^gitlab-k8s-cd:image: must be an image reference with a tag"),
        ({"image": "hello:1.0"}, r"^gitlab-k8s-cd:image: must name its registry host"),
        ({"replicas": "0"}, r"^gitlab-k8s-cd:replicas: must be an integer ≥ 1 \(got 0\)"),
        ({"replicas": "-1"}, r"^gitlab-k8s-cd:replicas: must be an integer ≥ 1 \(got -1\)"),
        ({"replicas": "two"}, r"^gitlab-k8s-cd:replicas: must be an integer ≥ 1 \(got 'two'\)"),
        ({"containerPort": "80000"}, r"^gitlab-k8s-cd:containerPort: must be an integer from 1 to 65535"),
        ({"resources": {"memoryLimit": "1GB"}}, r"^gitlab-k8s-cd:resources.memoryLimit: must be a Kubernetes quantity"),
        ({"readinessProbe": {"path": "readyz"}}, r"^gitlab-k8s-cd:readinessProbe.path: must be an HTTP path"),
        ({"startupProbe": {"periodSeconds": 5}}, r"^gitlab-k8s-cd:startupProbe.path: is required"),
        ({"rollout": {"maxSurge": "101%"}}, r"^gitlab-k8s-cd:rollout.maxSurge: must be an integer ≥ 0 or a percentage"),
        (
            {"rollout": {"maxSurge": 0, "maxUnavailable": 0}},
            r"^gitlab-k8s-cd:rollout.maxSurge and gitlab-k8s-cd:rollout.maxUnavailable: cannot both be 0",
        ),
        (
            {"rollout": {"maxSurg": "1"}},
            r"^gitlab-k8s-cd:rollout.maxSurg: is not a known key; did you mean gitlab-k8s-cd:rollout.maxSurge\?",
        ),
        ({"rollout": "fast"}, r"^gitlab-k8s-cd:rollout: must be an object"),
        ({"replica": "2"}, r"^gitlab-k8s-cd:replica: is not a known key; did you mean gitlab-k8s-cd:replicas\?"),
        ({"environment": "staging\nprod"}, r"^gitlab-k8s-cd:environment: must be a GitLab environment name"),
        (
            {"environmentUrl": "http://hello.example.com"},
            r"^gitlab-k8s-cd:environmentUrl: must be an absolute https://",
        ),
        ({"environmentTier": "prod"}, r"^gitlab-k8s-cd:environmentTier: must be one of"),
        ({"gitlabUrl": "gitlab.com"}, r"^gitlab-k8s-cd:gitlabUrl: must be an absolute https:// URL"),
        ({"gitlabProject": "hello"}, r"^gitlab-k8s-cd:gitlabProject: must be a GitLab project path"),
        (
            {"registryCleanup": {"nameRegexDelete": "ci-(["}},
            r"^gitlab-k8s-cd:registryCleanup.nameRegexDelete: must be RE2 syntax",
        ),
        ({"registryCleanup": {"keepN": 7}}, r"^gitlab-k8s-cd:registryCleanup.keepN: must be one of 1, 5, 10"),
        ({"deployTokenExpiresAt": "2001-01-01"}, r"^gitlab-k8s-cd:deployTokenExpiresAt: must be a date after today"),
        ({"clusterServer": "k8s.example.com"}, r"^gitlab-k8s-cd:clusterServer: must be an absolute https:// URL"),
        ({"clusterCaData": "bm90IGEgY2VydA=="}, r"^gitlab-k8s-cd:clusterCaData: must be the base64 of a PEM"),
        ({"pulumiBackendUrl": "ftp://state"}, r"^gitlab-k8s-cd:pulumiBackendUrl: must be an absolute https://"),
        ({"quota": {"pods": "lots"}}, r"^gitlab-k8s-cd:quota.pods: must be a Kubernetes quantity"),
        (
            {"limitRange": {"defaultRequest": {"cpu": "1"}, "defaultLimit": {"cpu": "500m"}}},
            r"^gitlab-k8s-cd:limitRange.defaultRequest.cpu and gitlab-k8s-cd:limitRange.defaultLimit.cpu: a request",
        ),
        ({"protection": {"requiredApprovals": 9}}, r"^gitlab-k8s-cd:protection.requiredApprovals: must be an integer"),
        (
            {"ciToken": {"expirationDays": 30}},
            r"^gitlab-k8s-cd:ciToken: is not a known key",
        ),
        ({"hiddenVariables": "maybe"}, r"^gitlab-k8s-cd:hiddenVariables: must be true or false"),
        ({"settings": {"PORT": 8080}}, r"^gitlab-k8s-cd:settings\['PORT'\]: values must be strings"),
    ],
)
def test_a_bad_value_is_refused_naming_the_key_the_value_and_the_expectation(overrides, expected):
    with pytest.raises(ConfigError, match=expected):
        load(overrides)


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
        "deployTokenExpiresAt",
    ],
)
def test_a_required_key_that_is_missing_is_named(missing):
    with pytest.raises(ConfigError, match=rf"^gitlab-k8s-cd:{missing}: is required \(got None\)"):
        load(drop=[missing])


def test_a_secret_in_plain_config_is_refused_without_showing_it(monkeypatch):
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    with pytest.raises(
        ConfigError, match=r"pulumiConfigPassphrase: must be set with `pulumi config set --secret`"
    ) as e:
        load({"pulumiConfigPassphrase": PASSPHRASE}, secrets={})
    assert PASSPHRASE not in str(e.value)


def test_a_secret_value_under_a_mistyped_key_is_refused_without_showing_it():
    with pytest.raises(
        ConfigError, match=r"pulumiConfigPasphrase: is not a known key; did you mean .*\(got \[secret, 12 ch"
    ):
        load(secrets={**SECRETS, key("pulumiConfigPasphrase"): "typo-secret!"})


def test_a_secret_may_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "from-the-environment")
    settings = load(secrets={})
    assert isinstance(settings.deployment.backend.passphrase, __import__("pulumi").Output)


def test_a_missing_backend_secret_names_the_key_and_the_environment_variable(monkeypatch):
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    with pytest.raises(ConfigError, match=r"pulumiConfigPassphrase: is required .*\(PULUMI_CONFIG_PASSPHRASE\)"):
        load(secrets={})


def test_pulumi_cloud_needs_an_access_token_instead(monkeypatch):
    monkeypatch.delenv("PULUMI_ACCESS_TOKEN", raising=False)
    with pytest.raises(ConfigError, match=r"pulumiAccessToken: is required for the Pulumi Cloud backend"):
        load({"pulumiBackendUrl": "https://api.pulumi.com"})
    app = load(
        {"pulumiBackendUrl": "https://api.pulumi.com"}, secrets={key("pulumiAccessToken"): "pul-0123456789abcdef"}
    ).deployment
    assert app.backend.is_pulumi_cloud


def test_a_secret_gitlab_could_not_mask_is_refused_without_showing_it():
    with pytest.raises(ConfigError, match=r"pulumiConfigPassphrase: GitLab cannot mask this value.*\[secret, 13 char"):
        load(secrets={PASSPHRASE_KEY: "two words 123"})


def test_no_resource_is_registered_when_the_config_is_bad():
    plan = plan_staging({"replicas": "0"}, check=False)
    assert plan.error is not None and plan.error["type"] == "components.config.ConfigError"
    assert "gitlab-k8s-cd:replicas" in plan.error["message"]
    assert plan.resources == ()


def test_secret_values_are_wrapped_as_secrets_from_the_moment_they_are_read(staging_plan):
    variable = staging_plan.get(
        "gitlab:index/projectVariable:ProjectVariable", "hello-ci-variables-PULUMI_CONFIG_PASSPHRASE"
    )
    assert isinstance(variable.inputs["value"], Secret)
    assert variable.inputs["value"].value == PASSPHRASE
