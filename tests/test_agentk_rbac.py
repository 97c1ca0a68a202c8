"""examples/agentk/impersonate.yaml, the admin's one-time RBAC for agentk in agent mode: valid
against the Kubernetes schema, and exactly the impersonation the API server checks for a
``ci_job`` request (docs/contracts.md AG-1, AG-2), nothing more."""

from __future__ import annotations

import pytest
import yaml

from gitlab_k8s_cd.components.plan.kubernetes_schema import validate_manifests
from tests.conftest import ROOT

MANIFEST = ROOT / "examples" / "agentk" / "impersonate.yaml"
EXTRAS = ("id", "config_project_id", "project_id", "ci_pipeline_id", "ci_job_id", "username")
"""The extras KAS sets on every ``ci_job`` request (AG-1)..."""
ENVIRONMENT_EXTRAS = ("environment_slug", "environment_tier")
"""...and on a job with an environment, which every deploying job has."""


@pytest.fixture(scope="module")
def manifests():
    return {m["kind"]: m for m in yaml.safe_load_all(MANIFEST.read_text())}


def test_the_manifests_are_valid_against_the_kubernetes_schema(manifests):
    assert sorted(manifests) == ["ClusterRole", "ClusterRoleBinding", "ServiceAccount"]
    assert validate_manifests(list(manifests.values()), "1.31") == []


def test_agentk_may_impersonate_a_jobs_user_groups_and_extras_and_do_nothing_else(manifests):
    granted = {
        (group, resource, verb)
        for rule in manifests["ClusterRole"]["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }
    # impersonation.go: users and groups in the core group, each extra key as the subresource of
    # authentication.k8s.io's userextras (AG-2); no uids (ci_job sets none), no serviceaccounts.
    expected = {("", "users", "impersonate"), ("", "groups", "impersonate")} | {
        ("authentication.k8s.io", f"userextras/agent.gitlab.com/{key}", "impersonate")
        for key in EXTRAS + ENVIRONMENT_EXTRAS
    }
    assert granted == expected
    assert all("resourceNames" not in rule for rule in manifests["ClusterRole"]["rules"])


def test_the_binding_gives_that_role_to_the_service_account_agentk_runs_as(manifests):
    binding, account = manifests["ClusterRoleBinding"], manifests["ServiceAccount"]
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": manifests["ClusterRole"]["metadata"]["name"],
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": account["metadata"]["name"], "namespace": account["metadata"]["namespace"]}
    ]
