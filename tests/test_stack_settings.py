"""``load_settings()`` (components/stack_settings.py): a stack's config read into typed Settings,
the keys with readers of their own (the secrets, ``autoscaling``, ``imagePull``, ``gitlabRegistry``,
``gitlabUrl``), and secrets that are ``Output.secret`` from the moment they are read. Reading a
project's own namespace is tests/test_config_namespace.py's."""

from __future__ import annotations

import pytest
from pulumi import Output

from gitlab_k8s_cd.components.config import ConfigError
from gitlab_k8s_cd.components.testing import Secret
from tests.conftest import DIGEST, MIGRATE, PASSPHRASE, SECRETS, image_pull_config, key, load

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


def test_image_can_be_overridden_with_a_digest():
    image = f"registry.gitlab.com/acme/hello@{DIGEST}"
    assert load({"image": image}).deployment.image == image


def test_the_migration_key_becomes_the_apps_migration_spec():
    assert load().deployment.spec.migration is None
    spec = load({"migration": {**MIGRATE, "backoffLimit": 1, "resources": {"memoryLimit": "1Gi"}}}).deployment.spec
    migration = spec.migration
    assert tuple(migration.command) == ("python3", "-m", "hello.migrate") and tuple(migration.args) == ()
    assert (migration.budget_seconds, migration.backoff_limit, migration.ttl_seconds_after_finished) == (600, 1, 86400)
    assert (migration.resources.memory_limit, migration.resources.cpu_request) == ("1Gi", "100m")
    # Unset, its pod's resources are the app's (web's).
    assert load({"migration": MIGRATE}).deployment.spec.migration_resources == load().deployment.spec.resources


def test_the_ingress_loads_off_by_default_and_from_its_members():
    assert load(drop=("ingress",)).deployment.ingress.enabled is False
    ingress = load().deployment.ingress
    assert (ingress.enabled, ingress.class_name, ingress.tls_secret, ingress.cluster_issuer) == (
        True,
        "nginx",
        "hello-tls",
        "letsencrypt",
    )


def test_web_autoscaling_replaces_replicas():
    spec = load({"autoscaling": {"maxReplicas": 4, "cpuUtilization": 60}}, drop=("replicas",)).deployment.spec
    assert (spec.autoscaling.min_replicas, spec.autoscaling.max_replicas, spec.autoscaling.cpu_utilization) == (
        2,
        4,
        60,
    )


def test_the_gitlab_url_is_the_instances_base_url():
    with pytest.raises(ConfigError, match=r"^gitlab-k8s-cd:gitlabUrl: must be the instance's URL, without /api/v4"):
        load({"gitlabUrl": "https://gitlab.example.com/api/v4"})
    with pytest.raises(ConfigError, match=r"^gitlab-k8s-cd:gitlabUrl: must be a base URL"):
        load({"gitlabUrl": "https://gitlab.example.com/?page=1"})
    with pytest.raises(ConfigError, match=r"^gitlab-k8s-cd:gitlabUrl: must not carry credentials") as caught:
        load({"gitlabUrl": "https://T0kenValue9@gitlab.example.com"})
    assert "T0kenValue9" not in str(caught.value)
    # A self-managed instance: its registry is its own, and must be named for its deploy token to be used.
    self_managed = {"gitlabUrl": "https://example.com/gitlab", "gitlabRegistry": "example.com:5050"}
    image = f"example.com:5050/acme/hello@{DIGEST}"
    assert load({**self_managed, "image": image}).gitlab_api_url == "https://example.com/gitlab/api/v4/"


# --- secrets ----------------------------------------------------------------------------------


def test_a_secret_in_plain_config_is_refused_without_showing_it(monkeypatch):
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    with pytest.raises(
        ConfigError, match=r"pulumiConfigPassphrase: must be set with `pulumi config set --secret`"
    ) as e:
        load({"pulumiConfigPassphrase": PASSPHRASE}, secrets={})
    assert PASSPHRASE not in str(e.value)


def test_a_secret_may_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "from-the-environment")
    settings = load(secrets={})
    assert isinstance(settings.deployment.backend.passphrase, __import__("pulumi").Output)


def test_a_secret_gitlab_could_not_mask_is_refused_without_showing_it():
    with pytest.raises(ConfigError, match=r"pulumiConfigPassphrase: GitLab cannot mask this value.*\[secret, 13 char"):
        load(secrets={PASSPHRASE_KEY: "two words 123"})


def test_secret_values_are_wrapped_as_secrets_from_the_moment_they_are_read(staging_plan):
    variable = staging_plan.get(
        "gitlab:index/projectVariable:ProjectVariable", "hello-ci-variables-PULUMI_CONFIG_PASSPHRASE"
    )
    assert isinstance(variable.inputs["value"], Secret)
    assert variable.inputs["value"].value == PASSPHRASE


def test_secret_settings_are_secrets_from_the_moment_they_are_read():
    from pulumi import Output

    secrets = load().deployment.secrets
    assert list(secrets) == ["DB_PASSWORD"]
    assert all(isinstance(value, Output) for value in secrets.values())
    assert load(secrets={k: v for k, v in SECRETS.items() if k != key("secrets")}).deployment.secrets == {}


# --- images from other registries (issue 12) -----------------------------------------------------

OTHER = "ghcr.io/acme/hello@" + DIGEST


def test_gitlab_registry_is_gitlab_coms_for_gitlab_com_and_given_for_a_self_managed_instance():
    assert load().deployment.gitlab_registry == "registry.gitlab.com"
    self_managed = {"gitlabUrl": "https://gitlab.example.com", "image": f"gitlab.example.com:5050/acme/hello@{DIGEST}"}
    with pytest.raises(
        ConfigError, match=r"^gitlab-k8s-cd:image: is pulled from gitlab.example.com:5050, and gitlab_r"
    ):
        load(self_managed)
    given = load({**self_managed, "gitlabRegistry": "gitlab.example.com:5050"}).deployment
    assert (given.gitlab_registry, given.pulls_with_deploy_token) == ("gitlab.example.com:5050", True)
    with pytest.raises(ConfigError, match=r"^gitlab-k8s-cd:gitlabRegistry: must be a registry host .*without a scheme"):
        load({"gitlabRegistry": "https://registry.gitlab.com"})


def test_an_image_from_another_registry_must_say_how_it_is_pulled():
    with pytest.raises(ConfigError, match=r"^gitlab-k8s-cd:image: is pulled from ghcr.io, which is not GitLab's"):
        load({"image": OTHER})
    public = load(**image_pull_config({"public": True})).deployment
    assert (public.image_pull.public, public.pulls_with_deploy_token, public.deploy_token_expires_at) == (
        True,
        False,
        None,
    )
    with pytest.raises(ConfigError, match=r"^gitlab-k8s-cd:deployTokenExpiresAt: must not be set: no GitLab deploy"):
        load({**image_pull_config({"public": True})["overrides"], "deployTokenExpiresAt": "2099-01-01"})


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("pull-token\n", r"^gitlab-k8s-cd:imagePull.password: must be non-empty, without leading or trailing space"),
        ("", r"^gitlab-k8s-cd:imagePull.password: must be non-empty"),
        (12345678, r"^gitlab-k8s-cd:imagePull.password: must be a string"),
    ],
)
def test_a_bad_registry_password_is_refused_by_its_length_only(password, message):
    with pytest.raises(ConfigError, match=message) as caught:
        load(**image_pull_config({"username": "robot", "password": password, "shareWithReviewApps": True}))
    assert "pull-token" not in str(caught.value) and "12345678" not in str(caught.value)


def test_the_registry_password_is_a_secret_output_from_the_moment_it_is_read():
    credentials = {"username": "robot", "password": "pw-123456", "shareWithReviewApps": True}
    image_pull = load(**image_pull_config(credentials)).deployment.image_pull
    assert isinstance(image_pull.password, Output) and image_pull.username == "robot"
    assert image_pull.share_with_review_apps is True
