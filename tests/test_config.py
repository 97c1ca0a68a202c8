"""The config loader: typed settings, and a clear refusal for every bad value, before any resource."""

from __future__ import annotations

import contextlib
import dataclasses
import json

import pytest
from pulumi import Output

from gitlab_k8s_cd.components.config import ConfigError
from gitlab_k8s_cd.components.testing import Secret
from tests.conftest import DIGEST, PASSPHRASE, PROJECT, SECRETS, STAGING, image_pull_config, key, load, plan_staging

PASSPHRASE_KEY = key("pulumiConfigPassphrase")
MIGRATE = {"command": ["python3", "-m", "hello.migrate"]}


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


def test_the_migration_key_becomes_the_apps_migration_spec():
    assert load().deployment.spec.migration is None
    spec = load({"migration": {**MIGRATE, "backoffLimit": 1, "resources": {"memoryLimit": "1Gi"}}}).deployment.spec
    migration = spec.migration
    assert tuple(migration.command) == ("python3", "-m", "hello.migrate") and tuple(migration.args) == ()
    assert (migration.budget_seconds, migration.backoff_limit, migration.ttl_seconds_after_finished) == (600, 1, 86400)
    assert (migration.resources.memory_limit, migration.resources.cpu_request) == ("1Gi", "100m")
    # Unset, its pod's resources are the app's (web's).
    assert load({"migration": MIGRATE}).deployment.spec.migration_resources == load().deployment.spec.resources


def test_a_review_stack_never_gets_the_migration_and_refuses_one():
    """A branch's migration would change the database the base environment's settings name."""
    from gitlab_k8s_cd.components.review_config import derive_review_config
    from tests.conftest import STAGING, plan_review

    base = {**STAGING, key("migration"): MIGRATE}
    review = derive_review_config(base, namespace=PROJECT, merge_request_iid=7, environment="review/x")
    assert key("migration") not in review and key("processes") in review
    refused = plan_review(7, "review/x", overrides={"migration": MIGRATE}, check=False)
    assert refused.error["message"].startswith(
        "gitlab-k8s-cd:migration: review apps never run the migration: a branch's migration would change the database"
    )
    assert refused.resources == ()


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
        ({"migration": {"budgetSeconds": 60}}, r"^gitlab-k8s-cd:migration.command and gitlab-k8s-cd:migration.args"),
        (
            {"migration": {**MIGRATE, "budgetSeconds": 0}},
            r"^gitlab-k8s-cd:migration.budgetSeconds: must be an integer from 1 to 3600 \(got 0\)",
        ),
        (
            {"migration": {**MIGRATE, "budgetSeconds": 3300}},
            r"^gitlab-k8s-cd:migration.budgetSeconds and gitlab-k8s-cd:rollout.budgetSeconds: a deploy waits",
        ),
        (
            {"migration": {**MIGRATE, "resources": {"cpuLimit": "10m"}}},
            r"^gitlab-k8s-cd:migration.resources.cpuRequest and gitlab-k8s-cd:migration.resources.cpuLimit: a request",
        ),
        ({"migration": ["python3", "-m", "migrate"]}, r"^gitlab-k8s-cd:migration: must be an object"),
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
    ],
)
def test_a_required_key_that_is_missing_is_named(missing):
    with pytest.raises(ConfigError, match=rf"^gitlab-k8s-cd:{missing}: is required \(got None\)"):
        load(drop=[missing])


def test_the_deploy_tokens_date_is_required_when_the_image_is_pulled_with_one():
    with pytest.raises(
        ConfigError, match=r"^gitlab-k8s-cd:deployTokenExpiresAt: is required: the image is pulled from GitLab's .*None"
    ):
        load(drop=["deployTokenExpiresAt"])


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
    assert plan.error is not None and plan.error["type"] == "gitlab_k8s_cd.components.config.ConfigError"
    assert "gitlab-k8s-cd:replicas" in plan.error["message"]
    assert plan.resources == ()


def test_secret_values_are_wrapped_as_secrets_from_the_moment_they_are_read(staging_plan):
    variable = staging_plan.get(
        "gitlab:index/projectVariable:ProjectVariable", "hello-ci-variables-PULUMI_CONFIG_PASSPHRASE"
    )
    assert isinstance(variable.inputs["value"], Secret)
    assert variable.inputs["value"].value == PASSPHRASE


# --- Secrets never reach a plain destination, nor an error message ----------------------------


@pytest.mark.parametrize(
    ("short", "value", "destination"),
    [
        ("settings", '{"DB_PASSWORD": "hunter2hunter2"}', "a ConfigMap the app reads"),
        ("pulumiBackendUrl", "s3://acme-state?region=eu-west-1", "PULUMI_BACKEND_URL, which is not masked"),
        ("environmentUrl", "https://hello.example.com", "the GitLab environment and a stack output"),
        ("replicas", "3", "the plan, the stack's state"),
    ],
)
def test_a_key_set_with_secret_is_refused_where_it_would_land_in_plain_text(short, value, destination):
    """`pulumi config set --secret` (or `--secret --path settings.X`, which marks the whole key:
    PULUMI_CONFIG_SECRET_KEYS lists top-level keys) must never be dropped on the way to a plain
    destination: the runtime's secret marking is kept, and the key refused before any resource."""
    with pytest.raises(ConfigError, match=rf"^gitlab-k8s-cd:{short}: is set as a secret .*{destination}") as caught:
        load(secrets={**SECRETS, key(short): value})
    assert value not in str(caught.value)
    assert "[secret, " in str(caught.value)


def test_only_the_backend_secrets_may_be_set_as_secrets():
    assert load(secrets={**SECRETS}).deployment is not None


@pytest.mark.parametrize(
    ("overrides", "leaked", "kind"),
    [
        ({"projectDescription": "glpat-" + "Zx9" * 7}, "glpat-" + "Zx9" * 7, "a GitLab token"),
        ({"gitlabUrl": "https://gitlab.example.com/?t=pul-" + "0a" * 20}, "pul-" + "0a" * 20, "a Pulumi access token"),
        ({"environmentUrl": "https://u:hunter2@hello.example.com"}, "hunter2", "a URL with a password"),
    ],
)
def test_a_value_that_looks_like_a_credential_is_refused_in_any_plain_key_and_never_echoed(overrides, leaked, kind):
    with pytest.raises(ConfigError, match=rf"looks like {kind}") as caught:
        load(overrides)
    assert leaked not in str(caught.value)


def test_a_value_given_for_a_key_named_like_a_secret_is_never_echoed_even_when_unknown():
    with pytest.raises(ConfigError, match=r"^gitlab-k8s-cd:dbPassword: is not a known key") as caught:
        load({"dbPassword": "hunter2hunter2"})
    assert "hunter2" not in str(caught.value)
    with pytest.raises(ConfigError, match=r"^gitlab-k8s-cd:rollout.apiToken: is not a known key") as caught:
        load({"rollout": {"apiToken": "hunter2hunter2"}})
    assert "hunter2" not in str(caught.value)


def test_a_settings_key_is_named_as_given_in_errors():
    with pytest.raises(ConfigError, match=r"^gitlab-k8s-cd:settings\['DB_PASSWORD'\]: is named like a secret"):
        load({"settings": {"DB_PASSWORD": "hunter2hunter2"}})


def test_a_self_hosted_pulumi_cloud_takes_an_access_token_not_a_passphrase(monkeypatch):
    monkeypatch.delenv("PULUMI_ACCESS_TOKEN", raising=False)
    with pytest.raises(ConfigError, match=r"^gitlab-k8s-cd:pulumiAccessToken: is required for the Pulumi Cloud"):
        load({"pulumiBackendUrl": "https://pulumi.internal.example.com"})
    token = "pul-" + "0a" * 20
    backend = load(
        {"pulumiBackendUrl": "https://pulumi.internal.example.com"}, secrets={key("pulumiAccessToken"): token}
    ).deployment.backend
    assert backend.is_pulumi_cloud
    assert [variable.key for variable in backend.ci_variables(hidden=True)] == [
        "PULUMI_BACKEND_URL",
        "PULUMI_ACCESS_TOKEN",
    ]


@pytest.mark.parametrize("url", ["file:///var/lib/pulumi", "file://~", "file:state"])
def test_a_file_backend_is_refused_ci_jobs_would_not_share_it(url):
    with pytest.raises(ConfigError, match=r"^gitlab-k8s-cd:pulumiBackendUrl: must be a backend every CI job can reach"):
        load({"pulumiBackendUrl": url})


# --- No input is a traceback ------------------------------------------------------------------

# Values of every JSON type, and extremes: what a careless or hostile stack file can hold.
ODD_VALUES = [None, [], {}, 1.5, True, -1, 2**70, "x" * 100_000, "", "\x00", "é", {"a": None}]


def _every_odd_override():
    from gitlab_k8s_cd.components.config_binder import camel as _camel
    from gitlab_k8s_cd.components.config_keys import MAPPING_KEYS, OBJECT_KEYS, SCALAR_KEYS

    for short, cls in OBJECT_KEYS.items():
        for bad in ODD_VALUES:
            yield {short: bad}
            for member in (_camel(field.name) for field in dataclasses.fields(cls)):
                yield {short: {member: bad}}
    for short in (*SCALAR_KEYS, *MAPPING_KEYS):
        for bad in ODD_VALUES:
            yield {short: bad}
    # A process, its members, and its members' members (NESTED_ARGS).
    from gitlab_k8s_cd.components.config_keys import NESTED_ARGS
    from gitlab_k8s_cd.components.process import ProcessSpec

    worker = dict(STAGING[key("processes")]["worker"])
    for bad in ODD_VALUES:
        yield {"processes": {"worker": bad}}
        for field in dataclasses.fields(ProcessSpec):
            yield {"processes": {"worker": {**worker, _camel(field.name): bad}}}
    # The members' members take the same validation as the top-level objects' (fuzzed above):
    # a value of each JSON type is enough to prove the path from config to a ConfigError.
    for bad in (None, [], {}, 1.5, True, "\x00"):
        for name, nested in NESTED_ARGS[ProcessSpec].items():
            for member in (_camel(field.name) for field in dataclasses.fields(nested)):
                yield {"processes": {"worker": {**worker, _camel(name): {member: bad}}}}


def test_no_value_of_any_type_in_any_key_or_member_is_anything_but_a_config_error():
    """Every key and every object member, set to each of ODD_VALUES: load_settings() accepts it or
    refuses it with a ConfigError (the plan's exit 2), never another exception (exit 3)."""
    tried = 0
    for overrides in _every_odd_override():
        tried += 1
        with contextlib.suppress(ConfigError):
            load(overrides)
    for bad in ODD_VALUES:  # a secret setting's value, and the whole key, as the CLI hands them
        for value in ({"DB_PASSWORD": bad}, bad):
            tried += 1
            with contextlib.suppress(ConfigError):
                load(secrets={**SECRETS, key("secrets"): json.dumps(value)})
    assert tried > 1000


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


def test_web_autoscaling_replaces_replicas():
    spec = load({"autoscaling": {"maxReplicas": 4, "cpuUtilization": 60}}, drop=("replicas",)).deployment.spec
    assert (spec.autoscaling.min_replicas, spec.autoscaling.max_replicas, spec.autoscaling.cpu_utilization) == (
        2,
        4,
        60,
    )


def test_secret_settings_are_secrets_from_the_moment_they_are_read():
    from pulumi import Output

    secrets = load().deployment.secrets
    assert list(secrets) == ["DB_PASSWORD"]
    assert all(isinstance(value, Output) for value in secrets.values())
    assert load(secrets={k: v for k, v in SECRETS.items() if k != key("secrets")}).deployment.secrets == {}


def test_a_secret_settings_name_is_shown_and_its_value_never():
    with pytest.raises(ConfigError, match=r"^gitlab-k8s-cd:secrets\['GREETING'\]: is a setting too") as caught:
        load(secrets={**SECRETS, key("secrets"): json.dumps({"GREETING": "hunter2hunter2"})})
    assert "hunter2hunter2" not in str(caught.value) and "'GREETING'" in str(caught.value)


def test_the_ingress_loads_off_by_default_and_from_its_members():
    assert load(drop=("ingress",)).deployment.ingress.enabled is False
    ingress = load().deployment.ingress
    assert (ingress.enabled, ingress.class_name, ingress.tls_secret, ingress.cluster_issuer) == (
        True,
        "nginx",
        "hello-tls",
        "letsencrypt",
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


def test_a_registry_password_in_plain_config_is_refused_and_never_shown():
    arguments = image_pull_config({"username": "robot"})
    overrides = {**arguments["overrides"], "imagePull": {"username": "robot", "password": "hunter2-hunter2"}}
    with pytest.raises(
        ConfigError, match=r"^gitlab-k8s-cd:imagePull.password: must be set with `pulumi config set --secret --path"
    ) as caught:
        load(overrides, drop=arguments["drop"])
    assert "hunter2" not in str(caught.value) and "[secret, " in str(caught.value)


def test_image_pull_set_as_a_secret_without_a_password_is_refused():
    """Only the password is one: --secret on another member would hide nothing (it goes to a pod spec)."""
    arguments = image_pull_config({"public": True})
    secrets = {**SECRETS, key("imagePull"): '{"secretName": "ghcr-pull"}'}
    with pytest.raises(ConfigError, match=r"^gitlab-k8s-cd:imagePull: is set as a secret .*only imagePull.password"):
        load({k: v for k, v in arguments["overrides"].items() if k != "imagePull"}, arguments["drop"], secrets)


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


def test_a_username_that_looks_like_a_token_is_refused_even_when_the_key_is_secret():
    """--secret --path imagePull.password marks the whole key secret; the username stays plain text
    in the stack file all the same."""
    token = "glpat-" + "Ab9" * 7
    for image_pull in ({"username": token, "password": "pw-123"}, {"username": token}):
        with pytest.raises(ConfigError, match=r"^gitlab-k8s-cd:imagePull.username: looks like a GitLab token") as e:
            load(**image_pull_config(image_pull))
        assert token not in str(e.value)


def test_the_registry_password_is_a_secret_output_from_the_moment_it_is_read():
    credentials = {"username": "robot", "password": "pw-123456", "shareWithReviewApps": True}
    image_pull = load(**image_pull_config(credentials)).deployment.image_pull
    assert isinstance(image_pull.password, Output) and image_pull.username == "robot"
    assert image_pull.share_with_review_apps is True


def test_an_image_pull_member_typo_gets_a_did_you_mean():
    with pytest.raises(ConfigError, match=r"^gitlab-k8s-cd:imagePull.secretname: is not a known key; did you mean"):
        load(**image_pull_config({"secretname": "ghcr-pull"}))


# --- the runtime's config (components/config.py; docs/contracts.md PC-19) -------------------------


def test_the_stack_keys_are_the_runtimes_and_pulumi_configs_and_their_secret_marks_the_runtimes(monkeypatch):
    """pulumi.Config cannot list keys nor tell a --secret one: config.py reads the runtime's map and
    PULUMI_CONFIG for the keys, PULUMI_CONFIG_SECRET_KEYS' set for the marks, and values through
    pulumi.Config, which reads PULUMI_CONFIG_<KEY> too."""
    from gitlab_k8s_cd.components import config

    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"ledger:image": "from-pulumi-config"}))
    monkeypatch.setenv("PULUMI_CONFIG_LEDGER_APP", "from-its-own-variable")
    __import__("pulumi").runtime.set_all_config({"ledger:replicas": "3", "vault:token": "t0ken"}, ["vault:token"])
    assert config.stack_keys() == {"ledger:replicas", "vault:token", "ledger:image"}
    assert config.is_secret("vault:token") and not config.is_secret("ledger:replicas")
    assert (config.value("ledger", "replicas"), config.value("ledger", "image")) == ("3", "from-pulumi-config")
    assert config.value("ledger", "app") == "from-its-own-variable" and config.value("ledger", "absent") is None
    assert isinstance(config.secret_value("vault", "token"), Output)


def test_only_config_py_reads_the_runtimes_config_internals():
    """The one place that knows pulumi.runtime's config map and secret marks (PC-19): the rest
    reads values with pulumi.Config, through config.py."""
    from pathlib import Path

    components = Path(__file__).resolve().parent.parent / "components"
    readers = {
        path.name
        for path in components.glob("*.py")
        if any(word in path.read_text() for word in ("runtime_config", "runtime.config", "is_config_secret"))
    }
    assert readers == {"config.py"}
