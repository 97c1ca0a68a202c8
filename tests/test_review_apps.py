"""ReviewApps: what every merge request's review app shares, made once by the base stack (staging)."""

from __future__ import annotations

import base64
import dataclasses
import json

import pytest
import yaml

from gitlab_k8s_cd.components import (
    REVIEW_APPS_VARIABLE,
    REVIEW_DEPLOYER,
    ConfigError,
    InvalidArgument,
    ReviewAppsSpec,
    role_rules,
)
from gitlab_k8s_cd.components.rbac import base_reader
from gitlab_k8s_cd.components.testing import Secret
from tests.conftest import (
    PASSPHRASE,
    REGISTRY_PASSWORD,
    STAGING,
    image_pull_config,
    key,
    load,
    plan_staging,
)
from tests.rbac import allows, grants

VARIABLE = "gitlab:index/projectVariable:ProjectVariable"
REVIEW_APPS = "gitlab-k8s-cd:review_apps:ReviewApps"


@pytest.fixture(scope="module")
def review(staging_plan):
    """The staging plan's resources under its ReviewApps component."""
    return staging_plan.descendants(staging_plan.get(REVIEW_APPS, "hello-review-apps"))


def of_kind(resources, kind):
    return [r.inputs for r in resources if r.is_kubernetes and r.inputs["kind"] == kind]


def review_variables(plan, scope="review/*"):
    return {r.inputs["key"]: r.inputs for r in plan.find(VARIABLE) if r.inputs["environmentScope"] == scope}


def test_the_review_namespace_is_restricted_and_denies_ingress_by_default(review):
    (namespace,) = of_kind(review, "Namespace")
    assert namespace["metadata"]["name"] == "hello-review"
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    deny = [p for p in of_kind(review, "NetworkPolicy") if p["spec"]["podSelector"] == {}]
    assert deny and deny[0]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}


def test_all_open_merge_requests_share_the_review_namespaces_quota(review):
    (quota,) = of_kind(review, "ResourceQuota")
    assert quota["spec"]["hard"] == {"pods": "20", "requests.cpu": "2", "requests.memory": "2Gi"}


def test_every_review_object_is_in_the_review_namespace(review):
    for resource in review:
        if resource.is_kubernetes and resource.inputs["kind"] != "Namespace":
            assert resource.inputs["metadata"]["namespace"] == "hello-review", resource.name


def test_the_review_deployer_is_confined_to_the_review_namespace_and_may_manage_ingresses(review):
    (role,) = [r for r in of_kind(review, "Role") if r["metadata"]["name"] == "hello-deployer"]
    assert role["metadata"]["namespace"] == "hello-review"
    assert role["rules"] == role_rules(REVIEW_DEPLOYER, "hello-review")
    ingresses = [r for r in role["rules"] if "ingresses" in r["resources"]]
    assert ingresses == [
        {
            "apiGroups": ["networking.k8s.io"],
            "resources": ["ingresses"],
            "verbs": ["create", "delete", "get", "list", "patch", "watch"],
        }
    ]
    # A review stack owns nothing else there: not even a get on the namespace object.
    assert not [r for r in role["rules"] if "namespaces" in r["resources"]]
    # It can neither open the namespace's network policy nor touch RBAC or ServiceAccounts.
    for rule in role["rules"]:
        if {"networkpolicies", "roles", "rolebindings", "serviceaccounts"} & set(rule["resources"]):
            assert set(rule["verbs"]) <= {"get", "list", "watch"}, rule
    (binding,) = [b for b in of_kind(review, "RoleBinding") if b["roleRef"]["name"] == "hello-deployer"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "hello-deployer", "namespace": "hello-review"}]


def test_the_base_stacks_deployer_may_only_read_what_the_base_stack_made_in_the_review_namespace(review, staging_plan):
    """For the base stack's refresh (its drift check); see test_drift_check for what that covers."""
    (role,) = [r for r in of_kind(review, "Role") if r["metadata"]["name"] == "hello-base-reader"]
    assert role["rules"] == role_rules(base_reader("hello", quota=True), "hello-review")
    own = {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get"], "resourceNames": ["hello-review"]}
    assert own in role["rules"]
    assert {verb for rule in role["rules"] for verb in rule["verbs"]} == {"get"}
    # By name, each: what the base stack made there, and not the wildcard TLS Secret beside them.
    assert all(rule.get("resourceNames") for rule in role["rules"])
    (secrets,) = [rule for rule in role["rules"] if rule["resources"] == ["secrets"]]
    assert secrets["resourceNames"] == ["hello-deployer-token", "hello-registry-pull"]
    base_deployer = ("hello-staging", "hello-deployer")
    for made in (r.inputs for r in review if r.is_kubernetes):
        assert allows(staging_plan, base_deployer, "get", made), (made["kind"], made["metadata"]["name"])
    (binding,) = [b for b in of_kind(review, "RoleBinding") if b["roleRef"]["name"] == "hello-base-reader"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "hello-deployer", "namespace": "hello-staging"}]


def test_review_apps_share_one_tokenless_service_account_and_one_http_policy(review):
    accounts = {a["metadata"]["name"]: a for a in of_kind(review, "ServiceAccount")}
    assert set(accounts) == {"hello", "hello-deployer"}
    assert accounts["hello"]["automountServiceAccountToken"] is False
    (allow,) = [p for p in of_kind(review, "NetworkPolicy") if p["spec"]["podSelector"] != {}]
    # Every review app of hello (they differ by instance), on the app's port only.
    assert allow["spec"]["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "hello"}}
    assert allow["spec"]["ingress"] == [{"ports": [{"port": 8080, "protocol": "TCP"}]}]


def test_the_review_pull_secret_has_a_fixed_name_and_a_read_only_token_of_its_own(review, staging_plan):
    pulls = [s for s in of_kind(review, "Secret") if s["type"] == "kubernetes.io/dockerconfigjson"]
    assert [s["metadata"]["name"] for s in pulls] == ["hello-registry-pull"]
    tokens = staging_plan.find("gitlab:index/projectDeployToken:ProjectDeployToken")
    assert {t.name for t in tokens} == {"hello-registry-deploy-token", "hello-review-apps-registry-deploy-token"}
    assert all(t.inputs["scopes"] == ["read_registry"] for t in tokens)


def test_review_variables_are_scoped_to_review_environments_and_readable_by_branch_pipelines(staging_plan):
    found = review_variables(staging_plan)
    assert set(found) == {"KUBE_NAMESPACE", "KUBECONFIG_B64", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE"}
    assert all(v["protected"] is False for v in found.values())  # merge request pipelines are unprotected
    for secret in ("KUBECONFIG_B64", "PULUMI_CONFIG_PASSPHRASE"):
        assert isinstance(found[secret]["value"], Secret)
        assert (found[secret]["masked"], found[secret]["hidden"]) == (True, True)
    assert found["KUBE_NAMESPACE"]["value"] == "hello-review"
    assert found["PULUMI_BACKEND_URL"]["value"] == "s3://acme-pulumi-state-review?region=eu-west-1"


def test_the_review_kubeconfig_reaches_the_review_namespace_only(staging_plan):
    kubeconfig = yaml.safe_load(base64.b64decode(review_variables(staging_plan)["KUBECONFIG_B64"]["value"].value))
    assert kubeconfig["contexts"][0]["context"]["namespace"] == "hello-review"
    staging = yaml.safe_load(staging_plan.outputs["deployer_kubeconfig"].value)
    assert kubeconfig["users"][0]["user"]["token"] != staging["users"][0]["user"]["token"]


def test_the_review_stacks_passphrase_is_random_and_not_the_base_stacks(staging_plan):
    passphrase = review_variables(staging_plan)["PULUMI_CONFIG_PASSPHRASE"]["value"].value
    assert passphrase != PASSPHRASE
    generator = staging_plan.get("random:index/randomPassword:RandomPassword", "hello-review-apps-passphrase").inputs
    assert generator == {"length": 40, "special": False}  # maskable: letters and digits


def test_a_project_variable_switches_the_review_jobs_on_and_names_the_base_stack(staging_plan):
    (switch,) = review_variables(staging_plan, scope="*").values()
    assert (switch["key"], switch["value"]) == (REVIEW_APPS_VARIABLE, "staging")
    assert (switch["masked"], switch["protected"]) == (False, False)  # rules of every pipeline read it


def test_review_stacks_share_the_base_stacks_backend_by_default():
    review_apps = {k: v for k, v in STAGING[key("reviewApps")].items() if k != "backendUrl"}
    plan = plan_staging({"reviewApps": review_apps})
    assert review_variables(plan)["PULUMI_BACKEND_URL"]["value"] == STAGING[key("pulumiBackendUrl")]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"enabled": True}, r"^domain: is required when review apps are enabled"),
        ({"enabled": "yes", "domain": "r.example.com"}, r"^enabled: must be true or false"),
        ({"domain": "*.example.com"}, r"^domain: must be a DNS-1123 subdomain"),
        ({"domain": "r.example.com", "namespace": "a" * 64}, r"^namespace: must be a DNS-1123 label"),
        ({"domain": "r.example.com", "ingress_class": "Nginx"}, r"^ingress_class: must be a DNS-1123 subdomain"),
        ({"domain": "r.example.com", "backend_url": "https://api.pulumi.com"}, r"^backend_url: must be an? "),
        ({"domain": "r.example.com", "quota": {"pods": "many"}}, r"^quota.pods: must be a Kubernetes quantity"),
    ],
)
def test_review_apps_spec_rejects_bad_values(kwargs, message):
    with pytest.raises(InvalidArgument, match=message):
        ReviewAppsSpec(**kwargs)


def test_a_review_app_url_is_its_environment_slug_under_the_domain():
    spec = ReviewAppsSpec(enabled=True, domain="review.example.com", deploy_token_expires_at="2027-11-30")
    # GitLab's CI_ENVIRONMENT_SLUG of review/feature-x: the '/' changed, so a hash suffix.
    assert spec.url("review/feature-x") == "https://review-feature-x-bjrazc.review.example.com"
    assert spec.namespace_for("hello") == "hello-review"
    assert ReviewAppsSpec(domain="r.example.com", namespace="previews").namespace_for("hello") == "previews"


def test_the_review_namespaces_deploy_token_has_a_date_of_its_own():
    """CI's deployer may only read in the review namespace: a rotation of the review token is an
    admin run, so a rotation of the environment's (through CI's deploy) must not touch it."""
    without = {k: v for k, v in STAGING[key("reviewApps")].items() if k != "deployTokenExpiresAt"}
    with pytest.raises(
        ConfigError, match=r"^gitlab-k8s-cd:reviewApps.deployTokenExpiresAt: is required when review apps are enabled"
    ):
        load({"reviewApps": without})
    base = load().deployment
    assert base.review_apps.deploy_token_expires_at == "2027-11-30"
    later = dataclasses.replace(base, deploy_token_expires_at="2028-01-31")
    args = later.review_apps_args(project="1", base_stack="staging")
    assert args.deploy_token_expires_at == "2027-11-30"  # the environment's new date leaves it be


# --- review apps pull as the environment does, with no deploy token for another registry ----------

BASE_DEPLOYER = ("hello-staging", "hello-deployer")


def review_pull_secrets(plan):
    return {
        s.inputs["metadata"]["name"]: s.inputs
        for s in plan.kind("Secret")
        if s.inputs["type"] == "kubernetes.io/dockerconfigjson" and s.inputs["metadata"]["namespace"] == "hello-review"
    }


@pytest.mark.parametrize("image_pull", [{"public": True}, {"secretName": "ghcr-pull"}], ids=["public", "own Secret"])
def test_review_apps_of_an_image_from_another_registry_get_no_deploy_token_and_no_pull_secret(image_pull):
    """Public: nothing to pull with. A Secret of your own: you make one of that name in the review
    namespace too (a review stack refers to it, test_review_app); the stack manages neither."""
    plan = plan_staging(**image_pull_config(image_pull))
    assert plan.find("gitlab:index/projectDeployToken:ProjectDeployToken") == []
    assert review_pull_secrets(plan) == {}
    # The base stack's deployer reads, in the review namespace, only what the base stack made there.
    assert not grants(plan, BASE_DEPLOYER, "hello-review", "", "secrets", "get", "hello-registry-pull")
    assert not grants(plan, BASE_DEPLOYER, "hello-review", "", "secrets", "get", "ghcr-pull")


def test_shared_credentials_make_the_review_pull_secret_and_nothing_else_of_them_reaches_the_review_namespace():
    credentials = {"username": "robot", "password": REGISTRY_PASSWORD, "shareWithReviewApps": True}
    plan = plan_staging(**image_pull_config(credentials))
    assert plan.find("gitlab:index/projectDeployToken:ProjectDeployToken") == []
    (secret,) = review_pull_secrets(plan).values()
    assert secret["metadata"]["name"] == "hello-registry-pull" and isinstance(secret["stringData"], Secret)
    # One entry, for the image's registry alone: what a review app needs, nothing more.
    (auths,) = json.loads(secret["stringData"].value[".dockerconfigjson"]).values()
    assert list(auths) == ["ghcr.io"]
    assert (auths["ghcr.io"]["username"], auths["ghcr.io"]["password"]) == ("robot", REGISTRY_PASSWORD)
    assert grants(plan, BASE_DEPLOYER, "hello-review", "", "secrets", "get", "hello-registry-pull")
    assert not grants(plan, BASE_DEPLOYER, "hello-review", "", "secrets", "patch", "hello-registry-pull")
    # No review variable carries them: the review jobs never pull, the kubelet does.
    for variable in plan.find(VARIABLE):
        value = variable.inputs["value"]
        assert REGISTRY_PASSWORD not in str(value.value if isinstance(value, Secret) else value)


def test_review_credentials_are_refused_until_the_base_stack_says_to_share_them():
    with pytest.raises(ConfigError, match=r"^gitlab-k8s-cd:imagePull.shareWithReviewApps: must be true for review"):
        load(**image_pull_config({"username": "robot", "password": REGISTRY_PASSWORD}))
