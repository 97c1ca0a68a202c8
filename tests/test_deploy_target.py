"""deploy_target: the namespace, deployer, pull Secret and CI variables an environment and the
review apps share, registered under their owner's component so that no URN changes."""

from __future__ import annotations

import pytest

from gitlab_k8s_cd.components import ImagePullSpec, InvalidArgument
from gitlab_k8s_cd.components.deploy_target import makes_pull_secret
from gitlab_k8s_cd.components.testing import run_component
from tests.conftest import ROOT
from tests.programs.deploy_target import args

VARIABLE = "gitlab:index/projectVariable:ProjectVariable"
ROLES = {
    "namespace": "gitlab-k8s-cd:namespace:Namespace",
    "deployer": "gitlab-k8s-cd:deployer:Deployer",
    "registry": "gitlab-k8s-cd:registry_access:RegistryAccess",
    "ci-variables": "gitlab-k8s-cd:ci_variables:CiVariables",
}
"""What a deploy target registers, by the role its name ends with, and its type."""


@pytest.fixture(scope="module")
def targets():
    return run_component("tests.programs.deploy_target:targets", cwd=ROOT)


@pytest.mark.parametrize(
    ("owner_type", "owner"),
    [
        ("gitlab-k8s-cd:continuous_deployment:ContinuousDeployment", "hello"),
        ("gitlab-k8s-cd:review_apps:ReviewApps", "hello-review-apps"),
    ],
)
def test_the_environments_and_the_review_apps_pieces_keep_their_names_types_and_parent(staging_plan, owner_type, owner):
    """A URN is the parent's type, the type and the name (docs/contracts.md PC-18): these are the
    URNs of the stacks deployed before there was a deploy target; another would replace them."""
    parent = staging_plan.get(owner_type, owner)
    for role, type_ in ROLES.items():
        assert staging_plan.get(type_, f"{owner}-{role}").parent == parent.urn, role


def test_each_piece_is_named_after_its_owner_and_is_its_child(targets):
    for owner in targets.find("test:deploy_target:Owner"):
        children = {(child.type, child.name) for child in targets.children(owner)}
        made = {(type_, f"{owner.name}-{role}") for role, type_ in ROLES.items()}
        # A registry access only where the stack makes the pull Secret.
        expected = made if owner.name in {"token", "shared"} else made - {(ROLES["registry"], f"{owner.name}-registry")}
        assert children == expected, owner.name


def test_the_pull_secret_is_the_stacks_a_secret_of_your_own_or_none_for_a_public_image(targets):
    assert targets.outputs["token-pull-secret"] == "token-registry-pull"
    assert targets.outputs["shared-pull-secret"] == "shared-registry-pull"
    assert targets.outputs["own-pull-secret"] == "pull-me"
    assert targets.outputs["public-pull-secret"] is None


def test_only_a_target_with_no_image_pull_gets_a_deploy_token(targets):
    tokens = targets.find("gitlab:index/projectDeployToken:ProjectDeployToken")
    assert [token.name for token in tokens] == ["token-registry-deploy-token"]
    assert tokens[0].inputs["expiresAt"] == "2099-01-01"


def test_the_variables_are_scoped_and_protected_as_told_and_the_namespace_is_never_protected(targets):
    def variables(owner):
        return {r.inputs["key"]: r.inputs for r in targets.find(VARIABLE) if r.name.startswith(f"{owner}-")}

    environment, review = variables("token"), variables("shared")
    keys = {"KUBE_NAMESPACE", "KUBECONFIG_B64", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE"}
    assert set(environment) == set(review) == keys
    assert {k for k, v in environment.items() if v["protected"]} == keys - {"KUBE_NAMESPACE"}
    assert not any(v["protected"] for v in review.values())
    assert {v["environmentScope"] for v in environment.values()} == {"test"}
    assert {v["environmentScope"] for v in review.values()} == {"review/*"}
    assert environment["KUBE_NAMESPACE"]["value"] == "token-test"
    assert environment["KUBECONFIG_B64"]["description"] == "the kubeconfig"


@pytest.mark.parametrize(
    ("image_pull", "expected"),
    [
        (None, True),
        (ImagePullSpec(public=True), False),
        (ImagePullSpec(secret_name="mine"), False),
        (ImagePullSpec(username="robot", password="s3cret-pass"), True),
    ],
)
def test_the_stack_makes_a_pull_secret_from_a_deploy_token_or_credentials_only(image_pull, expected):
    assert makes_pull_secret(image_pull) is expected


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"deploy_token_expires_at": None}, r"^deploy_token_expires_at: is required with a project"),
        (
            {"image_pull": ImagePullSpec(public=True)},
            r"^deploy_token_expires_at: must not be set: no deploy token is made",
        ),
        (
            {"image_pull": ImagePullSpec(username="robot", password="s3cret-pass")},
            r"^deploy_token_expires_at: must not be set: no deploy token is made",
        ),
        ({"environment_scope": "review/?"}, r"^environment_scope: must be '\*' or an environment name"),
        ({"namespace": "app-test"}, r"^namespace: must be a NamespaceArgs"),
        ({"protected": "no"}, r"^protected: "),
        ({"registry": "https://registry.gitlab.com"}, r"^registry: "),
    ],
)
def test_bad_args_are_refused_naming_the_field(changes, expected):
    with pytest.raises(InvalidArgument, match=expected):
        args("app", **changes)
