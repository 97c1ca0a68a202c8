"""Workload: the app's Deployment (rolling, probes, limits, restricted), Service, PDB and ingress policy."""

from __future__ import annotations

import pytest

from gitlab_k8s_cd.components import InvalidArgument, RolloutArgs, WorkloadArgs
from gitlab_k8s_cd.components.labels import selector_labels
from tests.conftest import APP_SECRETS, component

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
WEB_SELECTOR = {**selector_labels("hello", "hello-staging"), "app.kubernetes.io/component": "web"}
"""web's pods, both tracks: what the Service and the policy that admits traffic select."""
STABLE_SELECTOR = {**WEB_SELECTOR, "gitlab-k8s-cd/track": "stable"}
"""web's stable pods: what its Deployment and its PodDisruptionBudget select."""


@pytest.fixture(scope="module")
def single():
    return component("workloads")


@pytest.fixture(scope="module")
def deployment(staging_plan):
    return staging_plan.get(DEPLOYMENT, "hello-workload-deployment").inputs


def container(deployment):
    return deployment["spec"]["template"]["spec"]["containers"][0]


def test_rolling_update_defaults_never_lose_capacity(deployment):
    assert deployment["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0},
    }
    assert RolloutArgs().max_unavailable == 0 and RolloutArgs().max_surge == "25%"


def test_deployment_sets_the_rollout_timings(deployment):
    spec = deployment["spec"]
    assert (spec["minReadySeconds"], spec["progressDeadlineSeconds"], spec["revisionHistoryLimit"]) == (5, 300, 5)
    assert isinstance(spec["replicas"], int) and spec["replicas"] == 2


def test_selector_is_the_stable_subset_of_the_pod_labels(deployment):
    selector = deployment["spec"]["selector"]["matchLabels"]
    # web's Deployment is the stable track's, canary or not (gitlab_k8s_cd.components.canary).
    assert selector == STABLE_SELECTOR
    assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()


def test_one_rollout_budget_sets_the_progress_deadline_and_pulumis_wait(deployment):
    assert deployment["spec"]["progressDeadlineSeconds"] == 300
    assert deployment["metadata"]["annotations"]["pulumi.com/timeoutSeconds"] == "300"
    assert not any(k.startswith("pulumi.com/skipAwait") for k in deployment["metadata"]["annotations"])
    assert RolloutArgs(budget_seconds=120).budget_seconds == 120


def test_gitlab_annotations_are_on_the_deployment_and_its_pods(deployment):
    expected = {"app.gitlab.com/app": "acme-hello", "app.gitlab.com/env": "staging"}
    assert expected.items() <= deployment["metadata"]["annotations"].items()
    assert expected.items() <= deployment["spec"]["template"]["metadata"]["annotations"].items()


def test_app_service_account_mounts_no_token(staging_plan, deployment):
    account = staging_plan.get("kubernetes:core/v1:ServiceAccount", "hello-workload-service-account").inputs
    assert account["automountServiceAccountToken"] is False
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == account["metadata"]["name"] == "hello"


def test_settings_reach_the_pods_through_an_autonamed_config_map(staging_plan, deployment):
    config_map = staging_plan.get("kubernetes:core/v1:ConfigMap", "hello-workload-settings").inputs
    assert config_map["data"] == {"LOG_LEVEL": "info", "GREETING": "Hello from staging"}
    assert config_map["metadata"]["name"].startswith("hello-workload-settings-")
    assert container(deployment)["envFrom"][0] == {"configMapRef": {"name": config_map["metadata"]["name"]}}


def test_service_is_named_after_the_app_and_targets_the_http_port(staging_plan):
    service = staging_plan.get("kubernetes:core/v1:Service").inputs
    assert service["metadata"]["name"] == "hello"
    assert service["spec"]["type"] == "ClusterIP"
    # web's pods alone: never a worker's, which has no port.
    assert service["spec"]["selector"] == WEB_SELECTOR
    assert service["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]


def test_disruption_budget_exists_when_there_is_more_than_one_replica(staging_plan, single):
    budget = staging_plan.get("kubernetes:policy/v1:PodDisruptionBudget", "hello-workload-disruption-budget").inputs
    assert budget["spec"] == {"maxUnavailable": 1, "selector": {"matchLabels": STABLE_SELECTOR}}
    # The worker runs one pod: a budget would block every drain of its node.
    assert [r.name for r in staging_plan.kind("PodDisruptionBudget")] == ["hello-workload-disruption-budget"]
    assert not [r for r in single.kind("PodDisruptionBudget") if r.name.startswith("single-")]


def test_ingress_policy_admits_only_the_ingress_controller_to_web_pods_port(staging_plan):
    policy = staging_plan.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "hello-workload-allow-http").inputs
    # One peer: ingress-nginx's controller pods, in its namespace (docs/contracts.md KA-8).
    controller = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}},
        "podSelector": {
            "matchLabels": {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}
        },
    }
    assert policy["spec"] == {
        "podSelector": {"matchLabels": WEB_SELECTOR},
        "policyTypes": ["Ingress"],
        "ingress": [{"ports": [{"port": 8080, "protocol": "TCP"}], "from": [controller]}],
    }


def test_without_an_ingress_the_port_admits_any_source(single):
    policy = single.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "single-allow-http").inputs
    assert policy["spec"]["ingress"] == [{"ports": [{"port": 8080, "protocol": "TCP"}]}]


def test_image_may_be_given_by_digest(single):
    assert container(single.get(DEPLOYMENT, "single-deployment").inputs)["image"].endswith("@sha256:" + "cd" * 32)


def test_workload_args_reject_a_malformed_image():
    with pytest.raises(InvalidArgument, match=r"^image: must be an image reference with a tag or a digest"):
        WorkloadArgs(app="a", instance="a-b", namespace="n", image="registry.example.com/a")


def test_a_workload_in_a_shared_namespace_uses_its_owners_service_account_and_policy(single):
    """The review namespace's owner made the ServiceAccount and the HTTP policy; the guest makes neither."""
    guest = [r for r in single.resources if r.name.startswith("guest-")]
    kinds = sorted(r.inputs["kind"] for r in guest if r.is_kubernetes)
    assert kinds == ["ConfigMap", "Deployment", "Ingress", "Service"]
    deployment = next(r for r in guest if r.is_kubernetes and r.inputs["kind"] == "Deployment")
    assert deployment.inputs["spec"]["template"]["spec"]["serviceAccountName"] == "guest"
    service = next(r for r in guest if r.is_kubernetes and r.inputs["kind"] == "Service")
    assert service.inputs["metadata"]["name"] == "guest-review-7"


def test_an_ingress_routes_its_host_to_the_service_port_with_tls(single):
    ingress = single.kind("Ingress")[0].inputs
    assert ingress["metadata"]["namespace"] == "guest-review"
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["tls"] == [{"hosts": ["mr-7.review.example.com"], "secretName": "review-tls"}]
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "mr-7.review.example.com"
    backend = rule["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "guest-review-7", "port": {"number": 8000}}
    # Pulumi's wait for an address and endpoints, as the review app's deployer sets it.
    assert ingress["metadata"]["annotations"] == {"pulumi.com/timeoutSeconds": "300"}


def test_the_staging_ingress_serves_the_environment_url_with_a_cert_manager_certificate(staging_plan):
    ingress = staging_plan.get("kubernetes:networking.k8s.io/v1:Ingress").inputs
    assert ingress["metadata"]["name"] == "hello" and ingress["metadata"]["namespace"] == "hello-staging"
    assert ingress["metadata"]["annotations"] == {"cert-manager.io/cluster-issuer": "letsencrypt"}
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["tls"] == [{"hosts": ["hello.staging.example.com"], "secretName": "hello-tls"}]
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "hello.staging.example.com"
    assert rule["http"]["paths"] == [
        {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "hello", "port": {"number": 80}}}}
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"service_name": "Hello_1"}, r"^service_name: must be a DNS-1035 label .*: it is the Service name"),
        ({"service_name": "7-up"}, r"^service_name: must be a DNS-1035 label \(.*starting with a letter\)"),
        ({"service_account": "a" * 64}, r"^service_account: must be a DNS-1123 label"),
        ({"allow_http": "no"}, r"^allow_http: must be true or false"),
    ],
)
def test_workload_args_reject_bad_shared_namespace_values(kwargs, message):
    with pytest.raises(InvalidArgument, match=message):
        WorkloadArgs(app="a", instance="a-1", namespace="ns", image="registry.example.com/a:1", **kwargs)


# --- Capacity arithmetic, as the Deployment controller does it --------------------------------


def test_the_deployment_service_and_budget_share_one_fixed_name_the_role_grants_by(staging_plan):
    """The deployer may get, patch and delete them by that name alone (gitlab_k8s_cd.components.rbac)."""
    for kind in ("Deployment", "Service", "PodDisruptionBudget", "Ingress"):
        found = staging_plan.kind(kind)[0]
        assert found.inputs["metadata"]["name"] == "hello", kind
    # Another process's are its own: <app>-<process>.
    assert [d.inputs["metadata"]["name"] for d in staging_plan.kind("Deployment")] == ["hello", "hello-worker"]
    policy = staging_plan.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "hello-workload-allow-http").inputs
    assert policy["metadata"]["name"] == "hello-allow-http"


def test_a_workload_whose_deployer_may_not_manage_a_budget_declares_none_whatever_its_replicas(single):
    spare = [r for r in single.resources if r.name.startswith("spare-") and r.is_kubernetes]
    assert sorted(r.inputs["kind"] for r in spare) == [
        "ConfigMap",
        "Deployment",
        "NetworkPolicy",
        "Service",
        "ServiceAccount",
    ]
    (deployment,) = [r.inputs for r in spare if r.inputs["kind"] == "Deployment"]
    assert deployment["spec"]["replicas"] == 3
    assert deployment["metadata"]["name"] == "spare-review-8"


# --- Secret settings -----------------------------------------------------------------------------


def test_secret_settings_reach_every_process_from_one_fixed_name_secret_kept_secret(staging_plan):
    """Secret from end to end: the Secret's data is a secret input (redacted in every plan file),
    and CI's deployer may patch it by name (gitlab_k8s_cd.components.rbac)."""
    from gitlab_k8s_cd.components.testing import Secret

    secret = staging_plan.get("kubernetes:core/v1:Secret", "hello-workload-secrets").inputs
    assert secret["metadata"]["name"] == "hello-secrets" and secret["type"] == "Opaque"
    assert isinstance(secret["stringData"], Secret)  # the whole of it, as the engine sends it
    assert secret["stringData"].value == APP_SECRETS
    for deployment in staging_plan.kind("Deployment"):
        sources = container(deployment.inputs)["envFrom"]
        assert sources[1] == {"secretRef": {"name": "hello-secrets"}}, deployment.name


def test_a_secret_given_as_plain_text_to_the_workload_is_made_secret(single):
    from gitlab_k8s_cd.components.testing import Secret

    secret = single.get("kubernetes:core/v1:Secret", "many-secrets").inputs
    assert isinstance(secret["stringData"], Secret)
    assert secret["stringData"].value == {"API_KEY": "k-123", "DB_PASSWORD": "given-plain"}


def test_a_workload_without_secrets_has_no_secret_at_all(single):
    """A review app's: its deployer may make no Secret, and any branch's pod could mount one."""
    assert not [s for s in single.kind("Secret") if s.name.startswith(("single-", "guest-", "spare-"))]
    guest = single.get(DEPLOYMENT, "guest-deployment").inputs
    assert [list(source) for source in container(guest)["envFrom"]] == [["configMapRef"]]


def test_cert_manager_s_http01_solver_is_reachable_by_the_controller_alone(staging_plan, single):
    """cert-manager runs its HTTP-01 solver pod in the Ingress's namespace, on port 8089
    (docs/contracts.md CM-1); the default-deny policy would refuse the controller the challenge."""
    policy = staging_plan.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "hello-workload-allow-acme-solver")
    spec = policy.inputs["spec"]
    assert policy.inputs["metadata"]["name"] == "hello-allow-acme-solver"
    assert spec["podSelector"] == {"matchLabels": {"acme.cert-manager.io/http01-solver": "true"}}
    (rule,) = spec["ingress"]
    assert rule["ports"] == [{"port": 8089, "protocol": "TCP"}]
    assert rule["from"][0]["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}
    # Only with a cert-manager issuer: the review apps' Ingress (the controller's default
    # certificate) gets none.
    assert not [p for p in single.kind("NetworkPolicy") if p.name.endswith("-allow-acme-solver")]
