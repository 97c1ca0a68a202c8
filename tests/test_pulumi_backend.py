"""Where CI's ``pulumi up`` keeps the stack's state (components/pulumi_backend.py): the backends
every CI job can reach, the secret each kind needs, and the CI variables that hand them over;
first as ``PulumiBackendArgs``, then as the stack config's ``pulumiBackendUrl``,
``pulumiConfigPassphrase`` and ``pulumiAccessToken``."""

from __future__ import annotations

import dataclasses

import pytest
from pulumi import Output

from gitlab_k8s_cd.components import InvalidArgument, PulumiBackendArgs
from gitlab_k8s_cd.components.config import ConfigError
from gitlab_k8s_cd.components.pulumi_backend import is_self_managed
from tests.conftest import key, load

S3 = "s3://acme-state"
CLOUD = "https://api.pulumi.com"
UNMASKABLE = "GitLab cannot mask this value: "


def test_a_pulumi_cloud_backend_hands_ci_an_access_token_instead_of_a_passphrase():
    backend = PulumiBackendArgs(url="https://api.pulumi.com", access_token="pul-0123456789")
    assert [v.key for v in backend.ci_variables(hidden=True)] == ["PULUMI_BACKEND_URL", "PULUMI_ACCESS_TOKEN"]


def test_backend_args_reject_an_unmaskable_passphrase():
    with pytest.raises(InvalidArgument, match=r"^passphrase: GitLab cannot mask this value"):
        PulumiBackendArgs(url="s3://bucket", passphrase="has spaces in it")


@pytest.mark.parametrize(
    ("given", "field", "got", "expected"),
    [
        ({"url": "ftp://state", "passphrase": "p-123456789"}, "url", "'ftp://state'", "must be an absolute https://"),
        ({"url": 3, "passphrase": "p-123456789"}, "url", "3", "must be an absolute https://"),
        ({"url": "file:///var/lib/pulumi"}, "url", "'file:///var/lib/pulumi'", "must be a backend every CI job can"),
        (
            {"url": S3},
            "passphrase",
            "None",
            f"is required for the self-managed backend {S3} (PULUMI_CONFIG_PASSPHRASE)",
        ),
        (
            {"url": CLOUD},
            "access_token",
            "None",
            f"is required for the Pulumi Cloud backend {CLOUD} (PULUMI_ACCESS_TOKEN)",
        ),
        ({"url": S3, "passphrase": ""}, "passphrase", "[secret, 0 characters]", UNMASKABLE),
        ({"url": CLOUD, "access_token": "pul 1"}, "access_token", "[secret, 5 characters]", UNMASKABLE),
    ],
)
def test_each_refusal_names_the_field_the_value_and_the_expectation(given, field, got, expected):
    with pytest.raises(InvalidArgument) as refused:
        PulumiBackendArgs(**given)
    message = str(refused.value)
    assert refused.value.fields == (field,)
    assert message.startswith(f"{field}: {expected}") and message.endswith(f"(got {got})")


@pytest.mark.parametrize("url", ["s3://robot:hunter2hunter2@acme-state", "file://robot:hunter2hunter2@host/state"])
def test_a_backend_url_with_credentials_is_refused_without_showing_them(url):
    with pytest.raises(InvalidArgument, match=r"^url: must ") as refused:
        PulumiBackendArgs(url=url, passphrase="p-123456789")
    assert "hunter2" not in str(refused.value)


def test_the_secrets_default_to_none_and_each_backend_requires_only_its_own():
    bucket = PulumiBackendArgs(url="azblob://acme-state", passphrase="p-123456789")
    cloud = PulumiBackendArgs(url="https://pulumi.internal.example.com", access_token="pul-0123456789")
    assert (bucket.access_token, bucket.is_pulumi_cloud) == (None, False)
    assert (cloud.passphrase, cloud.is_pulumi_cloud) == (None, True)


def test_a_bucket_backend_hands_ci_its_url_and_its_passphrase_masked_and_protected_unless_told():
    passphrase = Output.secret("p-123456789")
    backend = PulumiBackendArgs(url="s3://acme-state", passphrase=passphrase)
    url, secret = backend.ci_variables(hidden=True)
    assert (url.key, url.value, url.masked, url.protected) == ("PULUMI_BACKEND_URL", "s3://acme-state", False, True)
    assert (secret.key, secret.masked, secret.hidden, secret.protected) == (
        "PULUMI_CONFIG_PASSPHRASE",
        True,
        True,
        True,
    )
    assert secret.value is passphrase  # the Output.secret as given, never unwrapped
    review = backend.ci_variables(hidden=False, protected=False)
    assert [(v.protected, v.hidden) for v in review] == [(False, False), (False, False)]


def test_only_bucket_backends_are_self_managed():
    urls = ("s3://b", "gs://b", "azblob://b", "https://api.pulumi.com", "file:///x")
    assert [is_self_managed(url) for url in urls] == [True, True, True, False, False]


def test_backend_args_are_frozen_and_keyword_only():
    backend = PulumiBackendArgs(url="s3://acme-state", passphrase="p-123456789")
    with pytest.raises(dataclasses.FrozenInstanceError):
        backend.url = "s3://other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        PulumiBackendArgs("s3://acme-state", "p-123456789")  # type: ignore[misc]


# --- through the stack config -------------------------------------------------------------------


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
