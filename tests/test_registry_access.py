"""RegistryAccess: a read-only, expiring deploy token, as an image pull secret."""

from __future__ import annotations

import base64
import json

import pytest

from components import InvalidArgument, RegistryAccessArgs
from components.registry_access import docker_config_json
from components.testing import Secret
from tests.conftest import component, plan_staging

TOKEN = "gitlab:index/projectDeployToken:ProjectDeployToken"


@pytest.fixture(scope="module")
def plan():
    return component("registry_access")


def test_deploy_token_can_only_read_the_registry_and_expires(plan):
    token = plan.get(TOKEN, "pull-deploy-token").inputs
    assert token["scopes"] == ["read_registry"]
    assert token["expiresAt"] == "2099-01-01"
    assert token["project"] == "7"


def test_pull_secret_is_a_dockerconfigjson_made_from_the_token(plan):
    secret = plan.get("kubernetes:core/v1:Secret", "pull-pull-secret").inputs
    assert secret["type"] == "kubernetes.io/dockerconfigjson"
    assert secret["metadata"]["namespace"] == "app-test"
    assert isinstance(secret["stringData"], Secret)
    config = json.loads(secret["stringData"].value[".dockerconfigjson"])
    entry = config["auths"]["registry.example.com"]
    assert entry["username"] == "gitlab+deploy-token-offline-plan"
    assert base64.b64decode(entry["auth"]).decode() == f"{entry['username']}:{entry['password']}"
    assert plan.outputs["pull_secret_name"] == secret["metadata"]["name"]


def test_docker_config_json_is_what_a_kubelet_reads():
    config = json.loads(docker_config_json("r.example.com:5050", username="u", password="p"))
    assert config == {"auths": {"r.example.com:5050": {"username": "u", "password": "p", "auth": "dTpw"}}}


def test_registry_access_refuses_an_expired_token_date():
    with pytest.raises(InvalidArgument, match=r"^expires_at: must be a date after today"):
        RegistryAccessArgs(
            project="1", namespace="n", registry="r.example.com", expires_at="2001-01-01", app="a", instance="a-b"
        )


def test_the_pull_secret_has_a_fixed_name_derived_from_the_app_which_the_deployer_patches_by(plan):
    """A Role can grant get and patch on it by name only if its name is known when the Role is made."""
    assert plan.outputs["pull_secret_name"] == "app-registry-pull"
    assert plan.outputs["named_pull_secret_name"] == "other-pull"


def test_a_pull_secret_name_must_be_a_kubernetes_name():
    with pytest.raises(InvalidArgument, match=r"^secret_name: must be a DNS-1123 subdomain"):
        RegistryAccessArgs(
            project="7",
            namespace="ns",
            registry="registry.example.com",
            expires_at="2099-01-01",
            app="app",
            instance="app-1",
            secret_name="Pull Secret",
        )


def test_a_new_deploy_token_changes_the_pull_secrets_data_in_place_under_its_name(staging_plan):
    """A new expiry date replaces the deploy token; the pull Secret keeps its name, and the program's
    Kubernetes provider has enableSecretMutable, so pulumi-kubernetes updates its data in place (a
    GET and a PATCH, which the deployer may do by name) rather than deleting and re-creating it
    (docs/contracts.md PK-9, PK-10)."""
    from components.diff import compare

    rotated = plan_staging({"deployTokenExpiresAt": "2099-12-31"})
    changes = compare(staging_plan.resource_table(), rotated.resource_table()).changes
    assert {(c.action, c.type) for c in changes if c.type.endswith("ProjectDeployToken")} == {
        ("replace", "gitlab:index/projectDeployToken:ProjectDeployToken")
    }
    assert not [c for c in changes if c.type == "kubernetes:core/v1:Secret" and c.action != "update"]
    for plan in (staging_plan, rotated):
        pulls = [s.inputs for s in plan.kind("Secret") if s.inputs["type"] == "kubernetes.io/dockerconfigjson"]
        assert {s["metadata"]["name"] for s in pulls} == {"hello-registry-pull"}
        assert not any(s.get("immutable") for s in pulls)  # immutable Secrets are replaced whatever the provider
        assert plan.get("pulumi:providers:kubernetes").inputs["enableSecretMutable"] == "true"
