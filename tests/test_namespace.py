"""Namespace: Pod Security restricted, default-deny ingress, optional quota and limits."""

from __future__ import annotations

import pytest

from gitlab_k8s_cd.components import InvalidArgument, LimitRangeArgs, NamespaceArgs
from tests.conftest import component

NS = "kubernetes:core/v1:Namespace"


@pytest.fixture(scope="module")
def plan():
    return component("namespaces")


def test_namespace_is_labelled_pod_security_restricted_for_enforce_audit_and_warn(plan):
    labels = plan.get(NS, "bare-namespace").inputs["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
        assert labels[f"pod-security.kubernetes.io/{mode}-version"] == "latest"


def test_namespace_carries_the_recommended_labels(plan):
    labels = plan.get(NS, "bare-namespace").inputs["metadata"]["labels"]
    assert labels["app.kubernetes.io/name"] == "bare"
    assert labels["app.kubernetes.io/instance"] == "bare-test"
    assert labels["app.kubernetes.io/managed-by"] == "pulumi"


def test_namespace_name_is_set_because_everything_refers_to_it(plan):
    assert plan.get(NS, "bare-namespace").inputs["metadata"]["name"] == "bare-test"


def test_pod_security_version_can_be_pinned(plan):
    labels = plan.get(NS, "full-namespace").inputs["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce-version"] == "v1.31"


def test_default_deny_policy_selects_every_pod_and_admits_no_ingress(plan):
    policy = plan.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "bare-default-deny-ingress").inputs
    assert policy["metadata"]["namespace"] == "bare-test"
    assert policy["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}


def test_quota_and_limit_range_exist_only_when_asked_for(plan):
    quotas = plan.kind("ResourceQuota")
    assert [q.name for q in quotas] == ["full-quota"]
    assert quotas[0].inputs["spec"]["hard"] == {"requests.cpu": "2", "pods": "10"}
    limits = plan.kind("LimitRange")
    assert [r.name for r in limits] == ["full-limits"]
    assert limits[0].inputs["spec"]["limits"] == [
        {
            "type": "Container",
            "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
            "default": {"cpu": "500m", "memory": "256Mi"},
        }
    ]


def test_every_child_is_parented_to_its_component(plan):
    bare = plan.get("gitlab-k8s-cd:namespace:Namespace", "bare")
    assert {r.name for r in plan.children(bare)} == {"bare-namespace", "bare-default-deny-ingress"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "Bad_Name"}, r"^name: must be a DNS-1123 label"),
        ({"pod_security_version": "1.31"}, r"^pod_security_version: must be 'latest' or 'v1.N'"),
        ({"quota": {}}, r"^quota: must be a non-empty mapping"),
        (
            {"quota": {"requests cpu": "1"}},
            r"^quota\['requests cpu'\]: is not a ResourceQuota resource name; did you mean 'requests.cpu'",
        ),
        ({"quota": {"pods": "many"}}, r"^quota.pods: must be a Kubernetes quantity"),
    ],
)
def test_namespace_args_reject_bad_values(kwargs, message):
    with pytest.raises(InvalidArgument, match=message):
        NamespaceArgs(**{"name": "ok", "app": "ok", "instance": "ok-test", **kwargs})


def test_limit_range_rejects_a_default_request_above_its_default_limit():
    with pytest.raises(InvalidArgument, match=r"^default_request.memory and default_limit.memory: a request cannot"):
        LimitRangeArgs(default_request={"memory": "1Gi"}, default_limit={"memory": "512Mi"})


def test_limit_range_rejects_unknown_resources():
    with pytest.raises(InvalidArgument, match=r"must be one of 'cpu', 'memory', 'ephemeral-storage'"):
        LimitRangeArgs(default_request={"gpu": "1"}, default_limit={})


def test_what_the_namespace_holds_has_fixed_names_the_deployers_read_it_by(plan):
    found = {(r.inputs["kind"], r.inputs["metadata"]["name"]) for r in plan.resources if r.is_kubernetes}
    assert {("NetworkPolicy", "full-default-deny-ingress"), ("ResourceQuota", "full-quota")} <= found
    assert ("LimitRange", "full-limits") in found
    assert ("NetworkPolicy", "bare-default-deny-ingress") in found
