"""The GitLab agent a stack registers in agent mode (components/gitlab_agent.py): its config file,
the order of its resources, its token's secrecy, and the config that registers it or refuses to."""

from __future__ import annotations

import pytest
import yaml

from gitlab_k8s_cd.components.cluster_access import environment_matches
from gitlab_k8s_cd.components.config import ConfigError
from gitlab_k8s_cd.components.gitlab_agent import COMMIT_MESSAGE, _require_branch, config_file
from gitlab_k8s_cd.components.plan.values import Secret
from gitlab_k8s_cd.components.testing import run_program
from tests.conftest import PROJECT, ROOT, SECRETS, load, plan_staging, staging_config

FILE = "gitlab:index/repositoryFile:RepositoryFile"
AGENT = "gitlab:index/clusterAgent:ClusterAgent"
TOKEN = "gitlab:index/clusterAgentToken:ClusterAgentToken"
PROTECTION = {"deployAccessLevel": "maintainer", "requiredApprovals": 0}
REGISTERED = {
    "clusterAccess": "agent",
    "agent": {"project": "acme/hello", "name": "staging-agent"},
    "protection": PROTECTION,
}
ELSEWHERE = {
    "clusterAccess": "agent",
    "agent": {"project": "acme/cluster-agents", "name": "staging-agent", "register": False},
    "protection": PROTECTION,
}
PROJECT_ID = "hello-project-project-id"

KAS_SCHEMA = {
    # KAS's ci_access schema (docs/contracts.md GL-40): any other key makes it reject the file.
    "ci_access": {"projects", "groups", "instance"},
    "project": {"id", "default_namespace", "access_as", "environments", "protected_branches_only"},
    "access_as": {"agent", "impersonate", "ci_job", "ci_user"},
}


@pytest.fixture(scope="module")
def registered():
    return plan_staging(REGISTERED)


# --- the config file -----------------------------------------------------------------------------


def test_the_config_file_grants_exactly_the_projects_environments_ci_job_access_with_schema_keys_only():
    text = config_file("acme/hello", ("staging", "review/*"), "staging")
    assert text.startswith("# Managed by gitlab-k8s-cd (Pulumi stack staging)")
    document = yaml.safe_load(text)
    assert document == {
        "ci_access": {
            "projects": [{"id": "acme/hello", "access_as": {"ci_job": {}}, "environments": ["staging", "review/*"]}]
        }
    }
    assert set(document) == {"ci_access"} and set(document["ci_access"]) <= KAS_SCHEMA["ci_access"]
    for entry in document["ci_access"]["projects"]:
        assert set(entry) <= KAS_SCHEMA["project"] and set(entry["access_as"]) <= KAS_SCHEMA["access_as"]
        # No `protected_branches_only`: a KAS older than 17.3 rejects the key (GL-40).
        assert "protected_branches_only" not in entry


def test_the_stack_commits_the_config_file_on_the_default_branch_of_its_own_project(registered):
    (file,) = registered.of(FILE)
    assert file.inputs["project"] == PROJECT_ID
    assert file.inputs["branch"] == "main"  # the mocks' default branch of the project (GL-39)
    assert file.inputs["filePath"] == ".gitlab/agents/staging-agent/config.yaml"
    assert file.inputs["encoding"] == "text" and file.inputs["overwriteOnCreate"] is False
    assert file.inputs["commitMessage"] == COMMIT_MESSAGE.format(name="staging-agent")
    assert file.inputs["commitMessage"].endswith("[skip ci]")
    # Staging's jobs, and review apps' (staging's config enables them): no other environment.
    entry = yaml.safe_load(file.inputs["content"])["ci_access"]["projects"][0]
    assert entry["id"] == "acme/hello" and entry["environments"] == ["staging", "review/*"]


def test_the_agent_is_registered_after_its_config_file_and_its_token_after_the_agent(registered):
    (file,), (agent,), (token,) = registered.of(FILE), registered.of(AGENT), registered.of(TOKEN)
    assert agent.inputs == {"project": PROJECT_ID, "name": "staging-agent"}
    # From its first moment the agent serves its project's jobs only as the file says (GL-41);
    # a destroy deletes in reverse: the agent before its file.
    assert file.urn in agent.dependencies
    assert agent.urn in token.property_dependencies["agentId"]
    assert token.inputs["agentId"] == 4545 and token.inputs["name"] == "agentk"


def test_the_agent_token_is_secret_in_the_stack_output_and_in_no_ci_variable(registered, tmp_path):
    output = registered.outputs["agent_token"]
    assert isinstance(output, Secret) and output.value.startswith("glagent-offline-plan-")
    for variable in registered.of("gitlab:index/projectVariable:ProjectVariable"):
        assert output.value not in str(variable.inputs)
    registered.write(tmp_path)
    for written in tmp_path.iterdir():
        assert output.value not in written.read_text(), written.name


def test_an_agent_registered_elsewhere_is_neither_declared_nor_configured_by_the_stack():
    plan = plan_staging(ELSEWHERE)
    assert plan.find(FILE) == plan.find(AGENT) == plan.find(TOKEN) == []
    assert "agent_token" not in plan.outputs
    # Its jobs still reach the cluster as the environment's group (tests/test_cluster_access.py).
    assert any(b.inputs["metadata"]["name"] == "hello-deployer-agent" for b in plan.kind("RoleBinding"))


def test_a_project_with_no_default_branch_yet_fails_the_run_saying_why():
    config = {**staging_config({**REGISTERED, "manageProject": False}), **SECRETS}
    plan = run_program(
        ROOT / "__main__.py",
        project=PROJECT,
        stack="staging",
        config=config,
        secret_keys=list(SECRETS),
        invokes={"gitlab:index/getProject:getProject": {"id": "4343", "defaultBranch": ""}},
        check=False,
    )
    assert plan.error is not None and "no default branch yet" in plan.error["message"]
    with pytest.raises(ValueError, match="push its first commit"):
        _require_branch(None)
    assert _require_branch("trunk") == "trunk"


# --- the config that registers it, or refuses to -------------------------------------------------


@pytest.mark.parametrize(
    ("agent", "message"),
    [
        (
            {"project": "acme/cluster-agents", "name": "a"},
            "gitlab-k8s-cd:agent.project and gitlab-k8s-cd:agent.register: must be this stack's project 'acme/hello'",
        ),
        (
            {"project": "acme/hello", "name": "a", "environments": ["production"]},
            "gitlab-k8s-cd:agent.environments: must let this stack's environment 'staging' through",
        ),
        (
            {"project": "acme/hello", "name": "a", "environments": ["staging"]},
            "gitlab-k8s-cd:agent.environments: must let the review apps' environments (review/<branch>) through",
        ),
        (
            {"project": "acme/hello", "name": "a", "environments": []},
            "gitlab-k8s-cd:agent.environments: must be a non-empty list",
        ),
        (
            {"project": "acme/hello", "name": "a", "environments": ["staging", "$BAD"]},
            "gitlab-k8s-cd:agent.environments[1]: must be a GitLab environment name, or one with '*' wildcards",
        ),
        (
            {"project": "acme/cluster-agents", "name": "a", "register": False, "environments": ["staging"]},
            "gitlab-k8s-cd:agent.environments and gitlab-k8s-cd:agent.register: environments are the config file's",
        ),
        (
            {"project": "acme/hello", "name": "a", "register": "yes"},
            "gitlab-k8s-cd:agent.register: must be true or false",
        ),
    ],
)
def test_a_registration_that_could_not_work_is_refused_before_any_resource(agent, message):
    with pytest.raises(ConfigError) as refused:
        load({"clusterAccess": "agent", "agent": agent, "protection": PROTECTION})
    assert str(refused.value).startswith(message), str(refused.value)


def test_a_registration_that_works_loads_with_its_environments():
    settings = load({**REGISTERED, "agent": {"project": "ACME/Hello", "name": "a"}})
    assert settings.deployment.registers_agent and settings.deployment.agent_environments == ("staging", "review/*")
    other = load({**REGISTERED, "agent": {"project": "acme/hello", "name": "a", "environments": ["*"]}})
    assert other.deployment.agent_environments == ("*",)
    assert not load(ELSEWHERE).deployment.registers_agent


@pytest.mark.parametrize(
    ("pattern", "environment", "matches"),
    [
        # Gitlab::Ci::EnvironmentMatcher (GL-40): equal, or an unanchored regex with * as .*
        ("staging", "staging", True),
        ("staging", "staging-2", False),
        ("review/*", "review/feature-x", True),
        ("review/*", "old-review/x", True),
        ("stag*", "staging", True),
        ("*", "production", True),
        ("prod", "production", False),
        ("review/*", "production", False),
    ],
)
def test_environment_patterns_match_as_gitlab_matches_them(pattern, environment, matches):
    assert environment_matches(pattern, environment) is matches
