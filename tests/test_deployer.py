"""Deployer: the namespace-scoped identity CI's pulumi up runs with."""

from __future__ import annotations

import pytest
import yaml

from gitlab_k8s_cd.components import (
    ClusterArgs,
    DeployerAccess,
    DeployerArgs,
    InvalidArgument,
    environment_deployer,
    role_rules,
)
from gitlab_k8s_cd.components.testing import Secret
from tests.conftest import component
from tests.programs.components import CA_DATA, CLUSTER

ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"


@pytest.fixture(scope="module")
def plan():
    return component("deployer")


def test_role_lists_resources_and_verbs_explicitly_with_no_wildcard(plan):
    for rule in plan.get(ROLE, "ci-role").inputs["rules"]:
        assert rule["resources"] and rule["verbs"]
        for key in ("apiGroups", "resources", "verbs"):
            assert "*" not in rule.get(key, [])


def test_role_grants_nothing_cluster_scoped_but_a_get_on_its_own_namespace(plan):
    rules = plan.get(ROLE, "ci-role").inputs["rules"]
    namespace_rules = [r for r in rules if "namespaces" in r["resources"]]
    assert namespace_rules == [
        {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get"], "resourceNames": ["app-test"]}
    ]
    cluster_scoped = {"nodes", "clusterroles", "clusterrolebindings", "persistentvolumes", "customresourcedefinitions"}
    assert not cluster_scoped & {res for rule in rules for res in rule["resources"]}


def test_role_lets_the_rollout_wait_list_and_watch(plan):
    rules = plan.get(ROLE, "ci-role").inputs["rules"]

    def verbs(group, resource):
        return {v for r in rules if group in r["apiGroups"] and resource in r["resources"] for v in r["verbs"]}

    assert {"get", "patch", "list", "watch"} <= verbs("apps", "deployments")
    for group, resource in [("apps", "replicasets"), ("", "pods"), ("", "events"), ("", "persistentvolumeclaims")]:
        assert {"list", "watch"} <= verbs(group, resource), resource


def test_role_cannot_change_rbac_network_policy_or_the_namespace(plan):
    rules = plan.get(ROLE, "ci-role").inputs["rules"]
    writes = {"create", "update", "patch", "delete"}
    for rule in rules:
        if {"roles", "rolebindings", "networkpolicies", "namespaces", "serviceaccounts"} & set(rule["resources"]):
            assert not writes & set(rule["verbs"]), rule


def test_role_binding_binds_the_role_to_the_service_account(plan):
    binding = plan.get("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "ci-role-binding").inputs
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "app-deployer"}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "app-deployer", "namespace": "app-test"}]


def test_token_secret_is_a_long_lived_service_account_token(plan):
    secret = plan.get("kubernetes:core/v1:Secret", "ci-token").inputs
    assert secret["type"] == "kubernetes.io/service-account-token"
    assert secret["metadata"]["annotations"] == {"kubernetes.io/service-account.name": "app-deployer"}


def test_every_deployer_object_has_the_fixed_name_its_role_reads_it_by(plan):
    """A Role can grant reading an object by name only if the name is known when the Role is made."""
    found = {(r.inputs["kind"], r.inputs["metadata"]["name"]) for r in plan.resources if r.is_kubernetes}
    assert found == {
        ("ServiceAccount", "app-deployer"),
        ("Role", "app-deployer"),
        ("RoleBinding", "app-deployer"),
        ("Secret", "app-deployer-token"),
    }
    rules = plan.get(ROLE, "ci-role").inputs["rules"]
    secrets = [r for r in rules if "secrets" in r["resources"]]
    assert {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "resourceNames": ["app-deployer-token"]} in (
        secrets
    )
    assert all(r.get("resourceNames") for r in secrets)


def test_the_default_access_is_an_environment_deployers_of_the_app():
    args = DeployerArgs(namespace="ns", app="web", instance="web-test", cluster=CLUSTER)
    assert role_rules(args.role_access, "ns") == role_rules(environment_deployer("web"), "ns")
    with pytest.raises(InvalidArgument, match=r"^access: must be a gitlab_k8s_cd.components.rbac.DeployerAccess"):
        DeployerArgs(namespace="ns", app="web", instance="web-test", cluster=CLUSTER, access="all")


def test_kubeconfig_is_a_secret_output_for_the_token_in_the_namespace(plan):
    kubeconfig = plan.outputs["kubeconfig"]
    assert isinstance(kubeconfig, Secret)
    assert isinstance(plan.outputs["token"], Secret)
    config = yaml.safe_load(kubeconfig.value)
    assert config["clusters"] == [
        {
            "name": "test-cluster",
            "cluster": {"server": "https://k8s.test.example:6443", "certificate-authority-data": CA_DATA},
        }
    ]
    assert config["users"] == [{"name": "app-deployer", "user": {"token": plan.outputs["token"].value}}]
    assert config["contexts"][0]["context"] == {
        "cluster": "test-cluster",
        "user": "app-deployer",
        "namespace": "app-test",
    }
    assert config["current-context"] == "test-cluster"


def test_deployer_service_account_mounts_no_token(plan):
    account = plan.get("kubernetes:core/v1:ServiceAccount", "ci-service-account").inputs
    assert account["automountServiceAccountToken"] is False


def test_deployer_access_refuses_a_kind_with_no_row_in_the_table():
    with pytest.raises(
        InvalidArgument, match=r"^deploys: must be kinds of the table in gitlab_k8s_cd.components.provider_requests"
    ):
        DeployerAccess(deploys={"apps/v1/StatefulSet": None})
    with pytest.raises(InvalidArgument, match=r"^reads: must map kinds to the names of their objects"):
        DeployerAccess(deploys={}, reads=frozenset({"v1/Secret"}))


def test_deployer_access_refuses_to_deploy_a_cluster_scoped_kind():
    with pytest.raises(InvalidArgument, match=r"^deploys: must be namespaced: .*\(got 'v1/Namespace'\)"):
        DeployerAccess(deploys={"v1/Namespace": None})
    with pytest.raises(InvalidArgument, match=r"^updates: may only be read, without names"):
        DeployerAccess(deploys={}, updates={"v1/Namespace": {"ns"}})
    with pytest.raises(InvalidArgument, match=r"^reads: may only be read, without names"):
        DeployerAccess(deploys={}, reads={"v1/Namespace": {"another-namespace"}})


@pytest.mark.parametrize("how", ["updates", "reads"])
def test_deployer_access_grants_what_it_updates_or_reads_only_by_name(how):
    """A Secret updated or read on any name would let CI read every Secret of the namespace."""
    with pytest.raises(InvalidArgument, match=rf"^{how}: must name its objects: .*\(got 'v1/Secret'\)"):
        DeployerAccess(deploys={}, **{how: {"v1/Secret": ()}})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "Bad Cluster"}, r"^name: must be a DNS-1123 subdomain"),
        ({"server": "http://k8s.example.com"}, r"^server: must be an absolute https:// URL"),
        ({"ca_data": "not-a-certificate"}, r"^ca_data: must be the base64 of a PEM certificate"),
    ],
)
def test_cluster_args_reject_bad_values(kwargs, message):
    with pytest.raises(InvalidArgument, match=message):
        ClusterArgs(**{"name": "c", "server": "https://k8s.example.com", "ca_data": CA_DATA, **kwargs})
