"""A merge request's review stack: its config, derived from staging's, and what it declares."""

from __future__ import annotations

import pytest

from gitlab_k8s_cd.components import AppSpec, InvalidArgument, ReviewAppArgs, review_stack_name
from gitlab_k8s_cd.components.config import ConfigError
from gitlab_k8s_cd.components.review_config import REVIEW_KEYS, derive_review_config
from tests.conftest import PROJECT, STAGING, key, plan_review, review_config
from tests.rbac import allows

REVIEW_APP = "gitlab-k8s-cd:review_app:ReviewApp"
URL = "https://review-feature-x-bjrazc.review.hello.example.com"  # GitLab's slug of review/feature-x


def kubernetes_objects(plan):
    return [r.inputs for r in plan.resources if r.is_kubernetes]


def of_kind(plan, kind):
    return [r.inputs for r in plan.kind(kind)]


# --- the derivation ---------------------------------------------------------------------------


def test_the_review_config_overrides_replicas_names_environment_url_and_namespace():
    config = review_config(42, "review/feature-x")
    assert config[key("replicas")] == 1
    assert config[key("mergeRequestIid")] == 42
    assert config[key("environment")] == "review/feature-x"
    assert config[key("environmentUrl")] == URL
    assert config[key("namespace")] == "hello-review"


def test_the_review_config_keeps_what_the_app_shares_with_staging():
    config = review_config()
    for short in ("app", "image", "containerPort", "settings", "readinessProbe", "resources"):
        assert config[key(short)] == STAGING[key(short)], short
    assert (config[key("gitlabProject")], config[key("clusterName")]) == ("acme/hello", "staging-eu-1")
    # The rollout's timing is staging's; its bounds are a lone replica's: surge one, never go down.
    assert config[key("rollout")] == {**STAGING[key("rollout")], "maxSurge": 1, "maxUnavailable": 0}


def test_a_review_app_never_takes_its_lone_pod_down_whatever_the_base_stack_allows():
    """The base stack's maxUnavailable of 1 suits its 4 replicas; for the review app's one it would
    take the app down on every push, and the review stack would refuse it."""
    base = {**STAGING, key("replicas"): 4, key("rollout"): {"maxSurge": 0, "maxUnavailable": 1}}
    config = derive_review_config(base, namespace=PROJECT, merge_request_iid=7, environment="review/x")
    assert config[key("rollout")] == {"maxSurge": 1, "maxUnavailable": 0}
    assert config[key("replicas")] == 1


def test_the_review_config_drops_what_only_the_base_stack_owns():
    """No backend, passphrase, cluster credentials, quota, tokens or schedules: those are staging's."""
    config = review_config()
    assert {k.partition(":")[2] for k in config} <= REVIEW_KEYS
    for short in ("pulumiBackendUrl", "clusterServer", "clusterCaData", "quota", "limitRange", "manageProject"):
        assert key(short) in STAGING and key(short) not in config, short


def test_secrets_in_the_base_stack_never_reach_the_review_config():
    base = {**STAGING, key("pulumiConfigPassphrase"): {"secure": "v1:abc:def"}}
    assert key("pulumiConfigPassphrase") not in derive_review_config(
        base, namespace=PROJECT, merge_request_iid=1, environment="review/x"
    )


@pytest.mark.parametrize(
    ("image_pull", "derived", "pulled_with"),
    [
        ({"public": True}, {"public": True}, []),
        ({"secretName": "ghcr-pull"}, {"secretName": "ghcr-pull"}, ["ghcr-pull"]),
        # Credentials stay in the base stack: it made the review namespace's pull Secret from them.
        (
            {"username": "robot", "password": {"secure": "v1:abc:def"}, "shareWithReviewApps": True},
            None,
            ["hello-registry-pull"],
        ),
    ],
    ids=["public", "own Secret", "credentials"],
)
def test_a_review_stack_pulls_as_the_base_stack_says_never_with_its_credentials(image_pull, derived, pulled_with):
    other = "ghcr.io/acme/hello@sha256:" + "cd" * 32
    base = {**STAGING, key("image"): other, key("imagePull"): image_pull}
    config = derive_review_config(base, namespace=PROJECT, merge_request_iid=7, environment="review/x")
    assert config.get(key("imagePull")) == derived
    assert "v1:abc:def" not in str(config) and "robot" not in str(config)
    plan = plan_review(7, "review/x", overrides={"image": other, **({"imagePull": derived} if derived else {})})
    for deployment in of_kind(plan, "Deployment"):
        assert [ref["name"] for ref in deployment["spec"]["template"]["spec"]["imagePullSecrets"]] == pulled_with


def test_a_review_stack_takes_no_registry_credentials():
    plan = plan_review(overrides={"imagePull": {"username": "robot"}}, check=False)
    assert plan.error["message"].startswith("gitlab-k8s-cd:imagePull.username: is not used by a review stack")
    assert plan.resources == ()


def test_a_base_stack_without_review_apps_gets_none():
    base = {k: v for k, v in STAGING.items() if k != key("reviewApps")}
    with pytest.raises(ConfigError, match=r"^gitlab-k8s-cd:reviewApps.enabled: must be true in the base stack"):
        derive_review_config(base, namespace=PROJECT, merge_request_iid=42, environment="review/x")
    disabled = {**STAGING, key("reviewApps"): {"enabled": False}}
    with pytest.raises(ConfigError, match=r"\(got False\)$"):
        derive_review_config(disabled, namespace=PROJECT, merge_request_iid=42, environment="review/x")


@pytest.mark.parametrize(
    ("iid", "environment", "message"),
    [
        (0, "review/x", r"^gitlab-k8s-cd:mergeRequestIid: must be an integer ≥ 1 \(got 0\)"),
        ("7; rm", "review/x", r"^gitlab-k8s-cd:mergeRequestIid: must be an integer"),
        (7, "review/x:y", r"^gitlab-k8s-cd:environment: must be a GitLab environment name"),
    ],
)
def test_the_derivation_refuses_a_bad_merge_request_or_environment(iid, environment, message):
    with pytest.raises(ConfigError, match=message):
        derive_review_config(STAGING, namespace=PROJECT, merge_request_iid=iid, environment=environment)


def test_review_stacks_are_named_after_the_merge_request():
    assert review_stack_name(42) == "review-42"


# --- what a review stack declares ---------------------------------------------------------------


def test_a_review_stack_declares_the_app_alone(review_plan):
    assert sorted(o["kind"] for o in kubernetes_objects(review_plan)) == [
        "ConfigMap",
        "Deployment",  # web
        "Deployment",  # the worker
        "Ingress",
        "Service",
    ]
    assert not [r for r in review_plan.resources if r.is_gitlab]
    providers = {r.type for r in review_plan.resources if r.type.startswith("pulumi:providers:")}
    assert providers == {"pulumi:providers:kubernetes"}  # no GitLab token needed


def test_every_object_is_namespaced_in_the_review_namespace(review_plan):
    for manifest in kubernetes_objects(review_plan):
        assert manifest["metadata"]["namespace"] == "hello-review", manifest["kind"]


def test_the_review_deployer_may_create_change_and_delete_everything_a_review_stack_declares(review_plan, staging_plan):
    """CI runs review stacks with the review deployer's Role, made by the base stack: no more is
    needed (test_rbac checks every request pulumi-kubernetes makes, informers included)."""
    deployer = (review_plan.outputs["namespace"], "hello-deployer")
    for manifest in kubernetes_objects(review_plan):
        for verb in ("create", "get", "patch", "delete"):
            assert allows(review_plan, deployer, verb, manifest, roles_from=staging_plan), (manifest["kind"], verb)


def test_it_uses_what_the_base_stack_made_for_review_apps(review_plan, staging_plan):
    base_accounts = {a.inputs["metadata"]["name"] for a in staging_plan.kind("ServiceAccount")}
    base_secrets = {s.inputs["metadata"]["name"] for s in staging_plan.kind("Secret")}
    for deployment in of_kind(review_plan, "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        assert pod["serviceAccountName"] == "hello" and "hello" in base_accounts
        assert pod["imagePullSecrets"] == [{"name": "hello-registry-pull"}]
        # No secret settings: every branch's pod could mount (and print) a Secret of the review namespace.
        assert all("secretRef" not in source for source in pod["containers"][0]["envFrom"])
    assert "hello-registry-pull" in base_secrets


def test_one_replica_and_names_suffixed_with_the_merge_request(review_plan):
    web, worker = of_kind(review_plan, "Deployment")
    assert web["spec"]["replicas"] == worker["spec"]["replicas"] == 1
    # Fixed names, the merge request's, for the Deployments, the Service and the Ingress alike.
    assert web["metadata"]["name"] == "hello-review-42"
    assert worker["metadata"]["name"] == "hello-review-42-worker"
    assert web["spec"]["selector"]["matchLabels"] == {
        "app.kubernetes.io/name": "hello",
        "app.kubernetes.io/instance": "hello-review-42",
        "app.kubernetes.io/component": "web",
        "gitlab-k8s-cd/track": "stable",  # as every web Deployment's (gitlab_k8s_cd.components.canary)
    }
    assert worker["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] == "worker"
    (service,) = of_kind(review_plan, "Service")
    assert service["metadata"]["name"] == "hello-review-42"
    (ingress,) = of_kind(review_plan, "Ingress")
    assert ingress["metadata"]["name"] == "hello-review-42"
    assert of_kind(review_plan, "PodDisruptionBudget") == []  # one replica: nothing to protect


def test_the_ingress_serves_the_environment_url(review_plan):
    (ingress,) = of_kind(review_plan, "Ingress")
    (rule,) = ingress["spec"]["rules"]
    assert f"https://{rule['host']}" == URL == review_plan.outputs["environment_url"]
    assert rule["http"]["paths"][0]["backend"]["service"] == {"name": "hello-review-42", "port": {"number": 80}}
    assert ingress["spec"]["ingressClassName"] == "nginx"
    # TLS with the controller's default certificate: no TLS Secret in the review namespace
    # (docs/contracts.md KA-6), where any branch's pod could mount it.
    assert ingress["spec"]["tls"] == [{"hosts": [rule["host"]]}]


def test_a_tls_secret_for_review_apps_is_refused_with_what_to_do_instead():
    from gitlab_k8s_cd.components.config import ConfigError
    from tests.conftest import load

    review_apps = {"enabled": "true", "domain": "r.example.com", "tlsSecret": "review-wildcard-tls"}
    with pytest.raises(
        ConfigError, match=r"^gitlab-k8s-cd:reviewApps.tlsSecret: is no longer taken: .*default certificate"
    ):
        load({"reviewApps": review_apps})


def test_gitlab_links_the_pods_to_the_review_environment(review_plan):
    for deployment in of_kind(review_plan, "Deployment"):
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["app.gitlab.com/env"] == "review-feature-x-bjrazc"  # CI_ENVIRONMENT_SLUG
        assert annotations["app.gitlab.com/app"] == "acme-hello"


def test_a_review_stack_exports_what_the_deploy_tool_reads(review_plan):
    outputs = review_plan.outputs
    assert set(outputs) == {
        *("namespace", "image", "deployment_name", "deployment_names", "environment_url", "deployed_digest", "commit")
    }
    assert outputs["deployment_names"] == {"web": "hello-review-42", "worker": "hello-review-42-worker"}
    assert outputs["deployed_digest"] == STAGING[key("image")].split("@")[1]


def test_two_merge_requests_review_apps_do_not_collide(review_plan):
    other = plan_review(43, "review/other-branch")

    def names(plan):
        return {(o["kind"], o["metadata"]["name"]) for o in kubernetes_objects(plan)}

    assert not names(review_plan) & names(other)
    for mine, theirs in zip(of_kind(review_plan, "Deployment"), of_kind(other, "Deployment"), strict=True):
        assert mine["spec"]["selector"] != theirs["spec"]["selector"]
    assert (
        of_kind(review_plan, "Ingress")[0]["spec"]["rules"][0]["host"]
        != (of_kind(other, "Ingress")[0]["spec"]["rules"][0]["host"])
    )


def test_a_review_stack_refuses_a_key_only_the_base_stack_uses():
    plan = plan_review(overrides={"quota": {"pods": "5"}}, check=False)
    assert len(plan.resources) == 0  # refused before anything is registered
    assert plan.error["type"] == "gitlab_k8s_cd.components.config.ConfigError"
    assert plan.error["message"].startswith("gitlab-k8s-cd:quota: is not used by a review stack")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"app": "a" * 60}, r"^app: is too long for a review app: 'a{60}-review-7' must fit in 63"),
        ({"environment": "staging"}, r"^environment: must be a review environment"),
        ({"merge_request_iid": 0}, r"^merge_request_iid: must be an integer ≥ 1"),
        ({"environment_url": "https://Bad_Host.example.com"}, r"^environment_url: must have a valid host name"),
    ],
)
def test_review_app_args_reject_bad_values(kwargs, message):
    args = {
        "app": "hello",
        "merge_request_iid": 7,
        "environment": "review/x",
        "environment_url": "https://x.review.example.com",
        "namespace": "hello-review",
        "image": "registry.example.com/acme/hello:1.0",
        "project_path": "acme/hello",
        "cluster_name": "c1",
        **kwargs,
    }
    with pytest.raises(InvalidArgument, match=message):
        ReviewAppArgs(**args)


def test_a_secret_key_in_a_review_stack_is_refused_without_showing_it():
    plan = plan_review(overrides={"pulumiConfigPassphrase": "correct-horse-battery-staple"}, check=False)
    assert plan.error["message"].startswith("gitlab-k8s-cd:pulumiConfigPassphrase: is not used by a review stack")
    assert "correct-horse" not in plan.error["message"] and "[secret, 28 characters]" in plan.error["message"]


def test_a_review_app_never_declares_a_disruption_budget_whatever_its_replicas():
    """The review deployer's Role grants none: a review stack that declared one could not deploy."""
    args = ReviewAppArgs(
        app="hello",
        merge_request_iid=7,
        environment="review/x",
        environment_url="https://x.review.example.com",
        namespace="hello-review",
        image="registry.example.com/acme/hello:1.0",
        project_path="acme/hello",
        cluster_name="c1",
        spec=AppSpec(replicas=3),
    )
    assert args.workload_args().disruption_budget is False
    plan = plan_review(overrides={"replicas": 3})
    assert of_kind(plan, "Deployment")[0]["spec"]["replicas"] == 3
    assert of_kind(plan, "PodDisruptionBudget") == []
