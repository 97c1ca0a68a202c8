"""Agent mode (issue 15, the stack side): ``clusterAccess`` and ``agent``, what the stacks declare
in each mode, what each impersonated group may do, and the switch-over's plan diff."""

from __future__ import annotations

import json

import pytest
from yaml import safe_load

from gitlab_k8s_cd.components import InvalidArgument
from gitlab_k8s_cd.components.cluster_access import AgentArgs, check, kube_context
from gitlab_k8s_cd.components.config import ConfigError
from gitlab_k8s_cd.components.gitlab_agent import AgentRegistrationArgs
from gitlab_k8s_cd.components.plan.diff import compare
from gitlab_k8s_cd.components.plan.kubernetes_schema import validate_manifests
from gitlab_k8s_cd.components.plan.policies import MANDATORY, evaluate_policies, policy_rules
from gitlab_k8s_cd.components.review_config import derive_review_config
from gitlab_k8s_cd.components.testing import run_program
from tests.conftest import PROJECT, ROOT, key, load, plan_staging, staging_config
from tests.conftest import plan_cli as plan
from tests.rbac import ANY, Group, granted_requests

AGENT = {"project": "acme/cluster-agents", "name": "staging-agent"}
"""Registered by the bootstrap program (agent/Pulumi.staging-cluster.yaml) in a project of cluster agents."""
PROTECTION = {"deployAccessLevel": "maintainer", "requiredApprovals": 0}
"""Agent mode requires the environment protected."""
AGENT_MODE = {"clusterAccess": "agent", "agent": AGENT, "protection": PROTECTION}
CONTEXT = "acme/cluster-agents:staging-agent"
PROJECT_ID = "hello-project-project-id"
"""The mocks' id of the managed GitLab project (a number in GitLab: docs/contracts.md PG-5)."""
STAGING_GROUP = Group(f"gitlab:project_env:{PROJECT_ID}:staging")
REVIEW_GROUP = Group(f"gitlab:project_env_tier:{PROJECT_ID}:development")
SA_STAGING = ("hello-staging", "hello-deployer")
SA_REVIEW = ("hello-review", "hello-deployer")
CREDENTIAL_KEYS = {"KUBECONFIG_B64"}


# --- the config keys -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["a", "staging-agent", "0agent9", "x" * 63])
def test_an_agent_name_gitlab_takes_is_taken(name):
    assert AgentArgs(project="acme/agents", name=name).context == f"acme/agents:{name}"


@pytest.mark.parametrize("name", ["", "-agent", "agent-", "Agent", "agent_1", "agent.1", "x" * 64, 7])
def test_an_agent_name_gitlab_refuses_is_refused_naming_the_field_and_the_rule(name):
    with pytest.raises(InvalidArgument) as refused:
        AgentArgs(project="acme/agents", name=name)
    assert refused.value.fields == ("name",) and refused.value.values == (name,)
    assert "lowercase letters, digits and '-'" in refused.value.expected and "63" in refused.value.expected


def test_the_agent_is_required_in_agent_mode_and_refused_otherwise():
    agent = AgentArgs(**AGENT)
    check("agent", agent)
    check("kubeconfig", None)
    with pytest.raises(InvalidArgument, match="is required when clusterAccess is 'agent'"):
        check("agent", None)
    with pytest.raises(InvalidArgument, match="must not be set when clusterAccess is 'kubeconfig'"):
        check("kubeconfig", agent)
    with pytest.raises(InvalidArgument, match="must be one of 'kubeconfig', 'agent'"):
        check("tunnel", None)
    assert kube_context("agent", agent) == CONTEXT and kube_context("kubeconfig", None) is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"clusterAccess": "tunnel"},
            "gitlab-k8s-cd:clusterAccess: must be one of 'kubeconfig', 'agent' (got 'tunnel')",
        ),
        ({"clusterAccess": "agent"}, "gitlab-k8s-cd:agent: is required when clusterAccess is 'agent'"),
        ({"agent": AGENT}, "gitlab-k8s-cd:agent: must not be set when clusterAccess is 'kubeconfig'"),
        (
            {**AGENT_MODE, "agent": {**AGENT, "name": "Staging"}},
            "gitlab-k8s-cd:agent.name: must be a GitLab agent name",
        ),
        ({**AGENT_MODE, "agent": {**AGENT, "project": "noslash"}}, "gitlab-k8s-cd:agent.project: must be a GitLab"),
        (
            {**AGENT_MODE, "agent": {**AGENT, "project": "ACME/hello"}},
            "gitlab-k8s-cd:agent.project: must be another project than the app's own, 'acme/hello'",
        ),
        (
            {**AGENT_MODE, "agent": {**AGENT, "project": "platform/cluster-agents"}},
            "gitlab-k8s-cd:agent.project: must be under the app project's top-level group 'acme'",
        ),
        (
            {"clusterAccess": "agent", "agent": AGENT},
            "gitlab-k8s-cd:protection and gitlab-k8s-cd:clusterAccess: protection is required in agent mode: "
            "the agent lets any job that names the environment 'staging' through",
        ),
    ],
)
def test_bad_cluster_access_config_is_refused_naming_the_key_the_value_and_the_expectation(overrides, message):
    with pytest.raises(ConfigError) as refused:
        load(overrides)
    assert str(refused.value).startswith(message), str(refused.value)


def test_both_keys_load_and_a_review_stack_copies_them():
    assert load(AGENT_MODE).kube_context == CONTEXT
    assert load().kube_context is None
    derived = derive_review_config(
        staging_config(AGENT_MODE), namespace=PROJECT, merge_request_iid=7, environment="review/x"
    )
    assert derived[key("clusterAccess")] == "agent" and derived[key("agent")] == AGENT


# --- the plans -----------------------------------------------------------------------------------


def plan_review_in(mode: dict, merge_request_iid: int = 42, environment: str = "review/feature-x"):
    config = derive_review_config(
        staging_config(mode), namespace=PROJECT, merge_request_iid=merge_request_iid, environment=environment
    )
    return run_program(
        ROOT / "__main__.py", project=PROJECT, stack=f"review-{merge_request_iid}", config=config, secret_keys=[]
    )


@pytest.fixture(scope="module")
def plans(staging_plan, review_plan):
    return {
        "kubeconfig": staging_plan,
        # An existing stack about to switch: its environment already protected (a step of its own).
        "kubeconfig protected": plan_staging({"protection": PROTECTION}),
        "agent": plan_staging(AGENT_MODE),
        "kubeconfig review": review_plan,
        "agent review": plan_review_in(AGENT_MODE),
    }


def provider(plan):
    (found,) = [r for r in plan.resources if r.type == "pulumi:providers:kubernetes"]
    return found.inputs


def test_the_provider_selects_the_agents_context_in_agent_mode_only_and_keeps_its_cluster_identifier(plans):
    for label in ("agent", "agent review"):
        assert provider(plans[label])["context"] == CONTEXT, label
    for label in ("kubeconfig", "kubeconfig review"):
        assert "context" not in provider(plans[label]), label
    assert len({provider(p)["clusterIdentifier"] for p in plans.values()}) == 1


def test_in_agent_mode_no_ci_variable_holds_a_cluster_credential(plans):
    agent = plans["agent"].of("gitlab:index/projectVariable:ProjectVariable")
    kubeconfig = plans["kubeconfig"].of("gitlab:index/projectVariable:ProjectVariable")
    keys = {v.inputs["key"] for v in agent}
    assert {v.inputs["key"] for v in kubeconfig} - keys == CREDENTIAL_KEYS
    for variable in agent:  # every one: none is a kubeconfig, a token or refers to one
        assert "KUBECONFIG" not in variable.inputs["key"] and "TOKEN" not in variable.inputs["key"]
        text = str(variable.inputs)
        assert "apiVersion" not in text and "current-context" not in text


def test_in_agent_mode_no_deployer_service_account_or_token_exists(plans):
    for label in ("agent", "agent review"):
        plan = plans[label]
        assert not [s for s in plan.kind("Secret") if s.inputs["type"] == "kubernetes.io/service-account-token"]
        assert "hello-deployer" not in {a.inputs["metadata"]["name"] for a in plan.kind("ServiceAccount")}


def test_the_deployer_role_is_bound_to_the_environments_group_and_the_review_tiers(plans):
    bindings = {
        (b.inputs["metadata"]["namespace"], b.inputs["metadata"]["name"]): b.inputs
        for b in plans["agent"].kind("RoleBinding")
    }
    for namespace, group in (("hello-staging", STAGING_GROUP), ("hello-review", REVIEW_GROUP)):
        binding = bindings[(namespace, "hello-deployer-agent")]
        assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "hello-deployer"}
        assert binding["subjects"] == [{"kind": "Group", "name": group.name, "apiGroup": "rbac.authorization.k8s.io"}]
    assert bindings[("hello-review", "hello-base-reader")]["subjects"][0]["name"] == STAGING_GROUP.name
    # The project id is the one the CI variables go to: GitLab's numeric id of the project.
    variable = plans["agent"].of("gitlab:index/projectVariable:ProjectVariable")[0]
    assert variable.inputs["project"] == PROJECT_ID


@pytest.mark.parametrize("label", ["agent", "agent review"])
def test_agent_mode_plans_validate_strictly_and_pass_every_mandatory_policy(plans, label):
    assert validate_manifests(plans[label].manifests(), "1.31") == []
    findings = evaluate_policies(plans[label], policy_rules(ROOT / "policy").rules, {})
    assert [f for f in findings if f.level == MANDATORY] == []


def test_the_agent_mode_staging_plan_command_validates_and_passes_the_policy_pack(tmp_path):
    result = plan(
        "--stack",
        "staging",
        "--out",
        str(tmp_path),
        "-c",
        "clusterAccess=agent",
        "-c",
        f"agent={json.dumps(AGENT)}",
        "-c",
        f"protection={json.dumps(PROTECTION)}",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Staging's 31, without the two deployers' ServiceAccounts, token Secrets and their bindings
    # (6), with the two agent bindings.
    assert "Valid: 27 manifests against the Kubernetes 1.31 schema (strict)" in result.stdout
    assert "Policies: no mandatory violation" in result.stdout
    assert "KUBECONFIG_B64" not in result.stdout


def test_agent_mode_manifests_pass_checkov(plans, tmp_path):
    from tests.test_checkov import of, scan

    files = []
    for label in ("agent", "agent review"):
        plans[label].write(tmp_path / label.replace(" ", "-"))
        files.append(tmp_path / label.replace(" ", "-") / "kubernetes.yaml")
    report = scan("kubernetes", *files)
    assert [of(report, f)["failed"] for f in files] == [[], []]
    assert len(of(report, files[0])["passed"]) >= 100


# --- what each group may do ----------------------------------------------------------------------


def own_names_removed(requests):
    """Requests on the deployer's own ServiceAccount, token Secret and its binding: kubeconfig mode's only."""
    own = {"hello-deployer", "hello-deployer-token"}
    return {r for r in requests if not (r[1] in ("serviceaccounts", "secrets", "rolebindings") and r[3] in own)}


def test_the_staging_group_may_do_exactly_what_the_deployer_role_allows_in_its_own_namespace(plans):
    agent = granted_requests(plans["agent"], STAGING_GROUP, "hello-staging")
    kubeconfig = granted_requests(plans["kubeconfig"], SA_STAGING, "hello-staging")
    assert agent - own_names_removed(kubeconfig) == {
        ("rbac.authorization.k8s.io", "rolebindings", "get", "hello-deployer-agent")
    }
    assert own_names_removed(kubeconfig) <= agent
    # In the review namespace: reads only, by name (its drift check), as the ServiceAccount did.
    in_review = granted_requests(plans["agent"], STAGING_GROUP, "hello-review")
    assert in_review and {r[2] for r in in_review} <= {"get", "list"}


def test_a_review_jobs_group_may_deploy_review_apps_and_cannot_touch_staging(plans):
    review = granted_requests(plans["agent"], REVIEW_GROUP, "hello-review")
    assert review == granted_requests(plans["kubeconfig"], SA_REVIEW, "hello-review")
    assert ("apps", "deployments", "create", ANY) in review
    assert granted_requests(plans["agent"], REVIEW_GROUP, "hello-staging") == set()


@pytest.mark.parametrize(
    "group",
    [
        f"gitlab:project_env:{PROJECT_ID}:production",
        f"gitlab:project_env:{PROJECT_ID}:review-feature-x-abc123",
        f"gitlab:project:{PROJECT_ID}",
        "gitlab:ci_job",
        f"gitlab:project_env_tier:{PROJECT_ID}:staging",
        "gitlab:project_env:4343:staging",
    ],
)
def test_no_other_group_a_job_carries_is_granted_anything_anywhere(plans, group):
    for namespace in ("hello-staging", "hello-review"):
        assert granted_requests(plans["agent"], Group(group), namespace) == set()


# --- the switch-over -----------------------------------------------------------------------------


def test_switching_an_existing_stack_to_agent_mode_replaces_nothing(plans):
    comparison = compare(plans["kubeconfig protected"].resource_table(), plans["agent"].resource_table())
    assert comparison.of("replace") == []
    assert {c.name for c in comparison.of("create")} == {
        "hello-deployer-agent-role-binding",
        "hello-review-apps-deployer-agent-role-binding",
    }
    assert {c.name for c in comparison.of("delete")} == {
        "hello-ci-variables-KUBECONFIG_B64",
        "hello-review-apps-ci-variables-KUBECONFIG_B64",
        "hello-deployer-token",
        "hello-review-apps-deployer-token",
        "hello-deployer-service-account",
        "hello-review-apps-deployer-service-account",
        "hello-deployer-role-binding",
        "hello-review-apps-deployer-role-binding",
    }
    updates = {c.name: c.fields for c in comparison.of("update")}
    assert updates.pop("kubernetes") == ("context",)
    # In place: the Role's rules (the deleted names out, the agent binding's in), the base
    # reader's rules and subject (a RoleBinding's subjects may change, its roleRef may not).
    assert set(updates) == {
        "hello-deployer-role",
        "hello-review-apps-base-reader",
        "hello-review-apps-base-reader-binding",
    }
    assert all(f.startswith("rules") for f in updates["hello-deployer-role"] + updates["hello-review-apps-base-reader"])
    assert all(f.startswith("subjects") for f in updates["hello-review-apps-base-reader-binding"])


# --- the admin's side ----------------------------------------------------------------------------


def test_the_readme_gives_the_admin_kubeconfig_the_context_the_provider_selects_in_every_run():
    """The provider selects the agent's context in admin runs too: the README's admin steps add
    a context of that name to the admin kubeconfig, for the agent the examples register."""
    readme = (ROOT / "README.md").read_text()
    assert load(AGENT_MODE).kube_context == CONTEXT
    assert f"kubectl config set-context '{CONTEXT}'" in readme
    bootstrap = safe_load((ROOT / "agent" / "Pulumi.staging-cluster.yaml").read_text())["config"][
        "gitlab-k8s-cd-agent:agent"
    ]
    assert AgentRegistrationArgs(**bootstrap).context == CONTEXT
    assert [a["project"] for a in bootstrap["access"]] == ["acme/hello"]


def test_the_readmes_helm_install_gives_agentk_no_rbac_of_the_charts_and_the_stacks_service_account():
    """The chart binds cluster-admin and a container-scanning ClusterRole by default (AG-4): the
    README's install turns both off and names the ServiceAccount and namespace agent/ made."""
    readme = (ROOT / "README.md").read_text()
    start = readme.index("helm upgrade --install staging-agent gitlab/gitlab-agent")
    command = readme[start : readme.index("\n```", start)]
    for value in (
        "--set rbac.create=false",
        "--set serviceAccount.create=false",
        '--set serviceAccount.name="$(pulumi stack output agentk_service_account)"',
        '--namespace "$(pulumi stack output agentk_namespace)"',
        "--set config.operational_container_scanning.enabled=false",
        '--set-file config.token="$token"',
        "--set securityContext.allowPrivilegeEscalation=false",
        "--set 'securityContext.capabilities.drop={ALL}'",
        "--set securityContext.seccompProfile.type=RuntimeDefault",
    ):
        assert value in command, value
    # The stack owns the namespace and the only binding: the chart makes neither.
    assert "useExistingRole" not in command and "--create-namespace" not in command
    assert "token=$(mktemp); trap 'rm -f \"$token\"' EXIT" in readme
    from tests.test_gitlab_agent import plan_agent

    outputs = plan_agent().outputs
    assert (outputs["agentk_namespace"], outputs["agentk_service_account"]) == ("gitlab-agent", "gitlab-agent")
