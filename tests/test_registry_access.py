"""RegistryAccess: the pull Secret, from a read-only, expiring deploy token of the project or from credentials
given; and which images a deploy token can pull at all."""

from __future__ import annotations

import base64
import fnmatch
import json

import pytest

from gitlab_k8s_cd.components import ImagePullSpec, InvalidArgument, RegistryAccessArgs
from gitlab_k8s_cd.components.image_reference import ImageReference
from gitlab_k8s_cd.components.registry_access import deploy_token_problem, docker_config_json, gitlab_registry_for
from gitlab_k8s_cd.components.testing import Secret
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
    from gitlab_k8s_cd.components.plan.diff import compare

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


# --- which registry is GitLab's, and what its deploy token can pull (docs/contracts.md GL-22, GL-23) ---


def test_gitlab_coms_registry_is_known_and_a_self_managed_ones_is_never_guessed():
    """GitLab.com's registry is registry.gitlab.com; a self-managed instance's is configured by its
    administrator (port 5050 of its domain, or a domain of its own): a guess such as
    registry.<host> could be another registry, which would get the project's deploy token."""
    assert gitlab_registry_for("https://gitlab.com") == "registry.gitlab.com"
    assert gitlab_registry_for("https://gitlab.com/") == "registry.gitlab.com"
    for self_managed in ("https://gitlab.example.com", "https://example.com/gitlab", "https://gitlab.com.evil.example"):
        assert gitlab_registry_for(self_managed) is None, self_managed


@pytest.mark.parametrize(
    ("image", "problem"),
    [
        ("registry.gitlab.com/acme/hello:1.0", None),
        ("registry.gitlab.com/acme/hello/worker:1.0", None),  # the naming convention's optional path
        ("registry.gitlab.com/acme/hello/my/image:1.0", None),  # two levels deep, at most
        ("Registry.GitLab.com/acme/hello:1.0", None),  # a host name's case does not matter
        ("registry.gitlab.com/acme/hello/a/b/c:1.0", "is not in project Acme/Hello's registry"),
        ("registry.gitlab.com/acme/other:1.0", "is not in project Acme/Hello's registry"),
        ("registry.gitlab.com/acme/hello-other:1.0", "is not in project Acme/Hello's registry"),
        ("registry.gitlab.com/acme:1.0", "is not in project Acme/Hello's registry"),
        ("ghcr.io/acme/hello:1.0", "is pulled from ghcr.io, which is not GitLab's registry (registry.gitlab.com)"),
        ("registry.gitlab.com:443/acme/hello:1.0", "which is not GitLab's registry"),  # another host[:port] key
    ],
)
def test_a_deploy_token_pulls_only_its_projects_own_images_from_gitlabs_registry(image, problem):
    """GitLab finds the project from the repository path (case-insensitively, at most two path
    components beyond the project's), and a project deploy token reads that project alone."""
    found = deploy_token_problem(
        ImageReference.parse("image", image), gitlab_registry="registry.gitlab.com", project_path="Acme/Hello"
    )
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found
        assert "image_pull" in found  # what to do instead


def test_without_a_known_gitlab_registry_no_image_gets_a_deploy_token():
    found = deploy_token_problem(
        ImageReference.parse("image", "gitlab.example.com:5050/acme/hello:1.0"),
        gitlab_registry=None,
        project_path="acme/hello",
    )
    assert found is not None
    assert "gitlab_registry is not set" in found and "set gitlab_registry if gitlab.example.com:5050" in found


# --- credentials instead of a deploy token ----------------------------------------------------


def test_credentials_make_the_pull_secret_with_no_deploy_token_their_password_secret():
    plan = component("registry_access_credentials")
    assert plan.find(TOKEN) == []
    secret = plan.get("kubernetes:core/v1:Secret", "ghcr-pull-secret").inputs
    assert (secret["type"], secret["metadata"]["name"]) == ("kubernetes.io/dockerconfigjson", "app-registry-pull")
    assert isinstance(secret["stringData"], Secret)  # the password was given plain: made secret anyway
    entry = json.loads(secret["stringData"].value[".dockerconfigjson"])["auths"]["ghcr.io"]
    assert (entry["username"], entry["password"]) == ("robot", "given-plain-pull-token")
    assert plan.outputs["pull_secret_name"] == "app-registry-pull"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, r"^public and secret_name and username: exactly one way to pull"),
        ({"public": True, "secret_name": "pull"}, r"^public and secret_name: exactly one way"),
        ({"secret_name": "pull", "username": "u", "password": "p"}, r"^secret_name and username: exactly one way"),
        ({"secret_name": "Pull Secret"}, r"^secret_name: must be a DNS-1123 subdomain"),
        ({"username": "robot"}, r"^password: is required with a username"),
        ({"password": "pw-123"}, r"^username: is required with a password"),
        ({"username": "ro:bot", "password": "pw"}, r"^username: must have no ':'"),
        ({"username": "", "password": "pw"}, r"^username: must be a one-line text"),
        ({"username": "robot", "password": "pw\n"}, r"^password: must be non-empty, without leading or trailing"),
        ({"public": True, "share_with_review_apps": True}, r"^share_with_review_apps: applies only to a username"),
        ({"public": "yes"}, r"^public: must be true or false"),
    ],
)
def test_an_image_pull_spec_says_exactly_one_way_to_pull(kwargs, message):
    with pytest.raises(InvalidArgument, match=message) as caught:
        ImagePullSpec(**kwargs)
    assert "pw\n" not in str(caught.value)


def test_a_username_that_looks_like_a_token_is_refused_and_never_shown():
    token = "glpat-" + "Xy3" * 7
    with pytest.raises(InvalidArgument, match=r"^username: looks like a GitLab token.*\[secret, 27 characters\]") as e:
        ImagePullSpec(username=token, password="pw")
    assert token not in str(e.value)


def test_registry_access_takes_a_project_or_credentials_never_both_nor_neither():
    common = {"namespace": "ns", "registry": "ghcr.io", "app": "a", "instance": "a-b"}
    with pytest.raises(InvalidArgument, match=r"^project and username: exactly one must be given"):
        RegistryAccessArgs(**common)
    with pytest.raises(InvalidArgument, match=r"^project and username: exactly one must be given"):
        RegistryAccessArgs(**common, project="7", expires_at="2099-01-01", username="u", password="p")
    with pytest.raises(InvalidArgument, match=r"^expires_at: is required with a project"):
        RegistryAccessArgs(**common, project="7")
    with pytest.raises(InvalidArgument, match=r"^expires_at: applies only to a project's deploy token"):
        RegistryAccessArgs(**common, username="u", password="p", expires_at="2099-01-01")
    with pytest.raises(InvalidArgument, match=r"^registry: must be a registry host .*without a scheme"):
        RegistryAccessArgs(**{**common, "registry": "https://ghcr.io"}, username="u", password="p")


# --- what the kubelet reads (docs/contracts.md KA-11) ------------------------------------------


def _host_and_port(host: str) -> tuple[str, str]:
    name, colon, port = host.rpartition(":")
    return (name, port) if colon else (host, "")


def kubelet_credentials(docker_config: str, image: str) -> list[tuple[str, str]]:
    """The (username, password) pairs the kubelet would try for ``image`` from a
    ``.dockerconfigjson``: a stand-in of kubernetes ``pkg/credentialprovider`` (v1.36):
    ``DockerConfigEntry.UnmarshalJSON`` (``auth`` wins, split at its first ':'), ``Add`` (the key's
    scheme and a /v1/ or /v2/ path dropped), ``URLsMatch`` (the same port, as many host labels,
    each a glob, the key's path a prefix of the image's)."""
    found = []
    image_host, _, image_path = image.partition("/")
    want_host, want_port = _host_and_port(image_host)
    for key, entry in json.loads(docker_config)["auths"].items():
        host, slash, path = key.removeprefix("https://").removeprefix("http://").partition("/")
        path = slash + path
        if path.startswith(("/v1/", "/v2/")):
            path = path[3:]
        key_host, key_port = _host_and_port(host)
        labels, wanted = key_host.split("."), want_host.split(".")
        if key_port != want_port or len(labels) != len(wanted) or not ("/" + image_path).startswith(path):
            continue
        if all(fnmatch.fnmatchcase(label, glob) for glob, label in zip(labels, wanted, strict=True)):
            if "auth" in entry:
                user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
                found.append((user, password))
            else:
                found.append((entry["username"], entry["password"]))
    return found


@pytest.mark.parametrize(
    "image",
    ["ghcr.io/acme/hello@sha256:" + "ab" * 32, "registry.example.com:5050/acme/hello:1.0", "docker.io/acme/hello:1.0"],
)
def test_the_pull_secret_is_keyed_by_the_images_host_and_port_which_the_kubelet_matches(image):
    registry = ImageReference.parse("image", image).registry
    config = docker_config_json(registry, username="robot", password="p:w")
    assert kubelet_credentials(config, image) == [("robot", "p:w")]  # a ':' in a password is fine
    # Another port, or another host, gets nothing from it: the key is the image's host[:port] exactly.
    assert kubelet_credentials(config, image.replace(registry, registry + "x", 1)) == []


def test_a_username_with_a_colon_would_reach_the_kubelet_cut_at_it_so_it_is_refused():
    config = docker_config_json("ghcr.io", username="ro:bot", password="pw")
    assert kubelet_credentials(config, "ghcr.io/acme/hello:1") == [("ro", "bot:pw")]
    with pytest.raises(InvalidArgument, match=r"^username: must have no ':'"):
        ImagePullSpec(username="ro:bot", password="pw")
