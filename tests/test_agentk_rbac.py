"""agentk's RBAC (components/agentk_rbac.py), as the bootstrap program agent/ plans it: valid
against the Kubernetes schema and checkov, and exactly the impersonation the API server checks for
a ``ci_job`` request (docs/contracts.md AG-1, AG-2), nothing more, bound to agentk's ServiceAccount."""

from __future__ import annotations

import pytest

from gitlab_k8s_cd.components import InvalidArgument
from gitlab_k8s_cd.components.agentk_rbac import IMPERSONATED_EXTRAS, AgentkRbacArgs
from gitlab_k8s_cd.components.plan.kubernetes_schema import validate_manifests
from tests.conftest import plan_cli
from tests.test_gitlab_agent import PROGRAM, plan_agent

EXTRAS = ("id", "config_project_id", "project_id", "ci_pipeline_id", "ci_job_id", "username")
"""The extras KAS sets on every ``ci_job`` request (AG-1)..."""
ENVIRONMENT_EXTRAS = ("environment_slug", "environment_tier")
"""...and on a job with an environment, which every deploying job has."""


@pytest.fixture(scope="module")
def manifests():
    plan = plan_agent()
    return {m["kind"]: m for m in plan.manifests()}


def test_the_manifests_are_valid_against_the_kubernetes_schema(manifests):
    assert sorted(manifests) == ["ClusterRole", "ClusterRoleBinding", "Namespace", "ServiceAccount"]
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
    assert granted == expected and set(IMPERSONATED_EXTRAS) == set(EXTRAS + ENVIRONMENT_EXTRAS)
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
    assert account["metadata"] == {**account["metadata"], "name": "gitlab-agent", "namespace": "gitlab-agent"}
    labels = manifests["Namespace"]["metadata"]["labels"]
    # baseline: the chart's pods set no securityContext by default (AG-4); restricted is audited and warned.
    assert labels["pod-security.kubernetes.io/enforce"] == "baseline"
    assert labels["pod-security.kubernetes.io/warn"] == labels["pod-security.kubernetes.io/audit"] == "restricted"


def test_the_program_plans_clean_only_as_a_platform_stack_and_passes_checkov(tmp_path):
    """The policy pack's ClusterRoleBinding rule holds for app stacks (tests/test_policy.py); the
    agent's stack is tagged a platform stack, as its admin tags it (`pulumi stack tag set
    gitlab-k8s-cd:platform true`)."""
    from tests.test_checkov import of, scan

    tagged = plan_cli(
        "--project-dir",
        str(PROGRAM),
        "--stack",
        "staging-cluster",
        "--out",
        str(tmp_path / "t"),
        "--stack-tag",
        "gitlab-k8s-cd:platform=true",
    )
    assert tagged.returncode == 0, tagged.stdout + tagged.stderr
    assert "Valid: 4 manifests against the Kubernetes 1.31 schema (strict)" in tagged.stdout
    assert "Policies: no mandatory violation" in tagged.stdout
    report = scan("kubernetes", tmp_path / "t" / "kubernetes.yaml")
    outcome = of(report, tmp_path / "t" / "kubernetes.yaml")
    assert outcome["failed"] == [] and outcome["skipped"] == [] and len(outcome["passed"]) >= 10


@pytest.mark.parametrize(("field", "value"), [("namespace", "Gitlab_Agent"), ("service_account", "")])
def test_bad_names_are_refused(field, value):
    with pytest.raises(InvalidArgument) as refused:
        AgentkRbacArgs(**{field: value})
    assert refused.value.fields == (field,)
