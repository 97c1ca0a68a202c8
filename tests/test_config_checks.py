"""The checks of a stack's raw config before any of it is bound (components/config_checks.py): a
value set with ``--secret``, or one that looks like a credential, on its way to a plain destination,
and ``imagePull``'s secrecy. A secret's value is never shown. The checks of keys in a namespace the
program does not read (``reject_wrong_namespace``) are tests/test_config_namespace.py's; an unknown
key's refusal is in tests/test_config.py's table of refusals."""

from __future__ import annotations

import pytest

from gitlab_k8s_cd.components.config import ConfigError
from tests.conftest import SECRETS, image_pull_config, key, load


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


def test_a_username_that_looks_like_a_token_is_refused_even_when_the_key_is_secret():
    """--secret --path imagePull.password marks the whole key secret; the username stays plain text
    in the stack file all the same."""
    token = "glpat-" + "Ab9" * 7
    for image_pull in ({"username": token, "password": "pw-123"}, {"username": token}):
        with pytest.raises(ConfigError, match=r"^gitlab-k8s-cd:imagePull.username: looks like a GitLab token") as e:
            load(**image_pull_config(image_pull))
        assert token not in str(e.value)
