"""The GitLab agent the bootstrap program registers (components/gitlab_agent.py): its config file,
the order of its resources, its token's secrecy, and the config that registers it or refuses to."""

from __future__ import annotations

import json
import re

import pulumi
import pytest
import yaml

from gitlab_k8s_cd.components import InvalidArgument
from gitlab_k8s_cd.components.config import ConfigError
from gitlab_k8s_cd.components.gitlab_agent import (
    COMMIT_MESSAGE,
    NO_ENVIRONMENT,
    TOKEN_DESCRIPTION,
    TOKEN_NAME,
    AgentRegistrationArgs,
    CiAccessArgs,
    _require_branch,
    config_file,
    load_registration,
)
from gitlab_k8s_cd.components.plan.values import Secret
from gitlab_k8s_cd.components.testing import run_program
from tests.conftest import ROOT

FILE = "gitlab:index/repositoryFile:RepositoryFile"
AGENT = "gitlab:index/clusterAgent:ClusterAgent"
TOKEN = "gitlab:index/clusterAgentToken:ClusterAgentToken"
PROGRAM = ROOT / "agent"
PROJECT = "gitlab-k8s-cd-agent"
REGISTRATION = {
    "project": "acme/cluster-agents",
    "name": "staging-agent",
    "access": [
        {"project": "acme/hello", "environments": ["staging", "review/*"]},
        {"project": "acme/orders", "environments": ["staging"]},
    ],
}
AGENT_PROJECT_ID = "4343"
"""The mocks' answer to the agent project's lookup (``gitlab.get_project``), whose default branch is ``main``."""

GITLAB_ENVIRONMENT_NAME = re.compile(r"\A[a-zA-Z0-9_${}. -]([a-zA-Z0-9_/${}. -]*[a-zA-Z0-9_${}. -])?\Z")
"""``Gitlab::Regex.environment_name_regex`` (docs/contracts.md GL-18): no environment's name ends with '/'."""

KAS_SCHEMA = {
    # KAS's ci_access schema (docs/contracts.md GL-40): any other key makes it reject the file.
    "ci_access": {"projects", "groups", "instance"},
    "project": {"id", "default_namespace", "access_as", "environments", "protected_branches_only"},
    "access_as": {"agent", "impersonate", "ci_job", "ci_user"},
}


def plan_agent(registration=REGISTRATION, **kwargs):
    return run_program(
        PROGRAM / "__main__.py",
        project=PROJECT,
        stack="staging-cluster",
        config={f"{PROJECT}:agent": registration},
        **kwargs,
    )


@pytest.fixture(scope="module")
def registered():
    return plan_agent()


# --- the config file -----------------------------------------------------------------------------


def test_the_config_file_grants_each_project_its_environments_ci_job_access_with_schema_keys_only():
    access = tuple(CiAccessArgs(**entry) for entry in REGISTRATION["access"])
    text = config_file("acme/cluster-agents", access, "staging-cluster")
    assert text.startswith("# Managed by gitlab-k8s-cd (Pulumi stack staging-cluster)")
    document = yaml.safe_load(text)
    assert document == {
        "ci_access": {
            "projects": [
                # The agent's own project first: an entry no job matches, which ends the access
                # every job of that project would otherwise have with agentk's rights (GL-41).
                {"id": "acme/cluster-agents", "access_as": {"agent": {}}, "environments": [NO_ENVIRONMENT]},
                {"id": "acme/hello", "access_as": {"ci_job": {}}, "environments": ["staging", "review/*"]},
                {"id": "acme/orders", "access_as": {"ci_job": {}}, "environments": ["staging"]},
            ]
        }
    }
    assert set(document) == {"ci_access"} and set(document["ci_access"]) <= KAS_SCHEMA["ci_access"]
    # An agent entry is kept whatever the licence (GL-42), and no environment's name ends with '/':
    # GitLab's own rule (GL-18) refuses it, and takes it without the '/'.
    assert not GITLAB_ENVIRONMENT_NAME.match(NO_ENVIRONMENT) and GITLAB_ENVIRONMENT_NAME.match(NO_ENVIRONMENT[:-1])
    for entry in document["ci_access"]["projects"]:
        assert set(entry) <= KAS_SCHEMA["project"] and set(entry["access_as"]) <= KAS_SCHEMA["access_as"]
        # No `protected_branches_only`: a KAS older than 17.3 rejects the key (GL-40).
        assert "protected_branches_only" not in entry


def test_the_config_file_is_committed_on_the_default_branch_of_the_agents_project(registered):
    (file,) = registered.of(FILE)
    assert file.inputs["project"] == AGENT_PROJECT_ID
    assert file.inputs["branch"] == "main"  # the lookup's default branch (GL-39)
    assert file.inputs["filePath"] == ".gitlab/agents/staging-agent/config.yaml"
    assert file.inputs["encoding"] == "text" and file.inputs["overwriteOnCreate"] is False
    assert file.inputs["commitMessage"] == COMMIT_MESSAGE.format(name="staging-agent")
    assert file.inputs["commitMessage"].endswith("[skip ci]")
    entries = yaml.safe_load(file.inputs["content"])["ci_access"]["projects"]
    assert [(e["id"], e["environments"]) for e in entries] == [
        ("acme/cluster-agents", [NO_ENVIRONMENT]),
        ("acme/hello", ["staging", "review/*"]),
        ("acme/orders", ["staging"]),
    ]


def test_the_agent_is_registered_after_its_config_file_and_its_token_after_the_agent(registered):
    (file,), (agent,), (token,) = registered.of(FILE), registered.of(AGENT), registered.of(TOKEN)
    assert agent.inputs == {"project": AGENT_PROJECT_ID, "name": "staging-agent"}
    # The agent never exists without its access list; a destroy deletes the agent before its file.
    assert file.urn in agent.dependencies
    assert agent.urn in token.property_dependencies["agentId"]
    # A fixed name and description: a change of either would replace (revoke) agentk's token (PG-7).
    assert token.inputs == {
        "project": AGENT_PROJECT_ID,
        "agentId": 4545,
        "name": TOKEN_NAME,
        "description": TOKEN_DESCRIPTION,
    }


def test_agentks_token_is_a_secret_stack_output_and_appears_in_no_written_file(registered, tmp_path):
    output = registered.outputs["agent_token"]
    assert isinstance(output, Secret) and output.value.startswith("glagent-offline-plan-")
    registered.write(tmp_path)
    for written in tmp_path.iterdir():
        assert output.value not in written.read_text(), written.name
    assert registered.outputs["context"] == "acme/cluster-agents:staging-agent"


def test_an_agent_project_with_no_default_branch_yet_fails_the_run_saying_why():
    plan = plan_agent(invokes={"gitlab:index/getProject:getProject": {"id": "4343", "defaultBranch": ""}}, check=False)
    assert plan.error is not None and "no default branch yet" in plan.error["message"]
    with pytest.raises(ValueError, match="push its first commit"):
        _require_branch(None)
    assert _require_branch("trunk") == "trunk"


# --- the config that registers it, or refuses to -------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"project": "noslash"}, "gitlab-k8s-cd-agent:agent.project: must be a GitLab project path"),
        ({"name": "Staging"}, "gitlab-k8s-cd-agent:agent.name: must be a GitLab agent name"),
        ({"access": []}, "gitlab-k8s-cd-agent:agent.access: must be a list of 1 to 499 entries"),
        ({"access": "acme/hello"}, "gitlab-k8s-cd-agent:agent.access: must be a list of 1 to 499 entries"),
        (
            {"access": [{"project": "acme/cluster-agents", "environments": ["staging"]}]},
            "gitlab-k8s-cd-agent:agent.access[0].project: must not be the agent's own project",
        ),
        (
            {"access": [{"project": "other/hello", "environments": ["staging"]}]},
            "gitlab-k8s-cd-agent:agent.access[0].project: must be under the agent project's top-level group 'acme'",
        ),
        (
            {"access": [{"project": "acme/hello", "environments": ["*"]}]},
            "gitlab-k8s-cd-agent:agent.access[0].environments: must not match every environment",
        ),
        (
            {"access": [{"project": "acme/hello", "environments": ["staging", "*.*"]}]},
            "gitlab-k8s-cd-agent:agent.access[0].environments: must not match every environment",
        ),
        (
            {"access": [{"project": "acme/hello", "environments": ["**"]}]},
            "gitlab-k8s-cd-agent:agent.access[0].environments: must not match every environment",
        ),
        (
            {"access": [{"project": "acme/hello"}]},
            "gitlab-k8s-cd-agent:agent.access[0].environments: must be a non-empty list",
        ),
        (
            {"access": [{"project": "acme/hello", "environments": ["staging", "$BAD"]}]},
            "gitlab-k8s-cd-agent:agent.access[0].environments[1]: must be a GitLab environment name",
        ),
        (
            {"access": [{"project": "acme/hello", "environments": ["staging"], "tier": "x"}]},
            "gitlab-k8s-cd-agent:agent.access[0].tier: is not a key (project, environments)",
        ),
        (
            {"access": [REGISTRATION["access"][0], {"project": "ACME/Hello", "environments": ["production"]}]},
            "gitlab-k8s-cd-agent:agent.access[1].project: must not be listed twice",
        ),
        ({"agentkNamespace": "Gitlab_Agent"}, "gitlab-k8s-cd-agent:agent.agentkNamespace: must be"),
        ({"register": True}, "gitlab-k8s-cd-agent:agent.register: is not a known key"),
    ],
)
def test_a_registration_that_could_not_work_is_refused_naming_key_value_and_expectation(change, message):
    with pytest.raises(ConfigError) as refused:
        load_in_process({**REGISTRATION, **change})
    assert str(refused.value).startswith(message), str(refused.value)


def test_without_the_key_the_program_says_what_it_needs():
    with pytest.raises(ConfigError) as refused:
        load_in_process(None)
    assert str(refused.value).startswith(f"{PROJECT}:agent: is required: {{project: <agent project full path>")


def test_the_program_refuses_bad_config_before_any_resource():
    plan = plan_agent({**REGISTRATION, "access": [{"project": "acme/hello"}]}, check=False)
    assert plan.resources == (), [r.urn for r in plan.resources]
    assert plan.error["message"].startswith(f"{PROJECT}:agent.access[0].environments: must be a non-empty list")


def load_in_process(registration):
    """``load_registration()`` in this process, with ``registration`` as the CLI hands it over
    (JSON), in the bootstrap program's project; the project the other tests set is put back."""
    before = pulumi.get_project()
    config = {} if registration is None else {f"{PROJECT}:agent": json.dumps(registration)}
    pulumi.runtime.set_all_config(config, [])
    pulumi.runtime.settings._set_project(PROJECT)
    try:
        return load_registration()
    finally:
        pulumi.runtime.settings._set_project(before)


def test_the_args_take_what_the_config_gives_and_give_the_apps_context():
    args = AgentRegistrationArgs(**REGISTRATION)
    assert args.context == "acme/cluster-agents:staging-agent" and args.agentk_namespace == "gitlab-agent"
    assert args.access[0] == CiAccessArgs(project="acme/hello", environments=("staging", "review/*"))
    with pytest.raises(InvalidArgument, match="must not repeat an environment"):
        CiAccessArgs(project="acme/hello", environments=["staging", "staging"])
