"""The stack config as the runtime holds it (components/config.py), and how a value of it is
refused: the runtime's keys and secret marks, and the :class:`ConfigError` that names the key, the
value given (never a secret's) and what is expected, for every key end to end, before any resource.
Binding is tests/test_config_binder.py's, the checks before it tests/test_config_checks.py's,
``load_settings()`` tests/test_stack_settings.py's, the backend's keys tests/test_pulumi_backend.py's."""

from __future__ import annotations

import contextlib
import dataclasses
import json

import pytest
from pulumi import Output

from gitlab_k8s_cd.components.config import ConfigError
from tests.conftest import MIGRATE, SECRETS, STAGING, key, load, plan_staging


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


def test_the_deploy_tokens_date_is_required_when_the_image_is_pulled_with_one():
    with pytest.raises(
        ConfigError, match=r"^gitlab-k8s-cd:deployTokenExpiresAt: is required: the image is pulled from GitLab's .*None"
    ):
        load(drop=["deployTokenExpiresAt"])


def test_no_resource_is_registered_when_the_config_is_bad():
    plan = plan_staging({"replicas": "0"}, check=False)
    assert plan.error is not None and plan.error["type"] == "gitlab_k8s_cd.components.config.ConfigError"
    assert "gitlab-k8s-cd:replicas" in plan.error["message"]
    assert plan.resources == ()


# --- secrets and credential-like values never reach an error message -----------------------------


def test_a_secret_value_under_a_mistyped_key_is_refused_without_showing_it():
    with pytest.raises(
        ConfigError, match=r"pulumiConfigPasphrase: is not a known key; did you mean .*\(got \[secret, 12 ch"
    ):
        load(secrets={**SECRETS, key("pulumiConfigPasphrase"): "typo-secret!"})


def test_a_value_given_for_a_key_named_like_a_secret_is_never_echoed_even_when_unknown():
    with pytest.raises(ConfigError, match=r"^gitlab-k8s-cd:dbPassword: is not a known key") as caught:
        load({"dbPassword": "hunter2hunter2"})
    assert "hunter2" not in str(caught.value)
    with pytest.raises(ConfigError, match=r"^gitlab-k8s-cd:rollout.apiToken: is not a known key") as caught:
        load({"rollout": {"apiToken": "hunter2hunter2"}})
    assert "hunter2" not in str(caught.value)


def test_a_secret_settings_name_is_shown_and_its_value_never():
    with pytest.raises(ConfigError, match=r"^gitlab-k8s-cd:secrets\['GREETING'\]: is a setting too") as caught:
        load(secrets={**SECRETS, key("secrets"): json.dumps({"GREETING": "hunter2hunter2"})})
    assert "hunter2hunter2" not in str(caught.value) and "'GREETING'" in str(caught.value)


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
