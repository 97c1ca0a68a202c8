"""How CI reaches the cluster: a kubeconfig of the deployer's ServiceAccount token (``kubeconfig``,
the default), or the GitLab agent for Kubernetes' CI/CD tunnel (``agent``), where each job
authenticates with its own short-lived job token and Kubernetes sees the job's impersonated
groups (``ci_access`` with ``access_as: {ci_job: {}}``; docs/contracts.md AG-1).

In agent mode the stacks hold no cluster credential at all: the deployer's Role is bound to the
**group** of exactly the environment that may deploy, ``gitlab:project_env:<project id>:<slug>``
(:func:`environment_group`), and the Kubernetes provider selects the agent's context,
``<agent project>:<agent name>`` (:attr:`AgentArgs.context`; GitLab names it so, GL-37).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pulumi

from . import gitlab_rules
from . import validation as v
from .labels import environment_slug

KUBECONFIG = "kubeconfig"
AGENT = "agent"
MODES = (KUBECONFIG, AGENT)

AGENT_NAME = re.compile(r"\A[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
"""GitLab's ``Gitlab::Regex.cluster_agent_name_regex`` (``Clusters::Agent`` validates the name
with it, at most 63 characters; docs/contracts.md GL-36)."""
AGENT_NAME_MAX = 63

REVIEW_TIER = "development"
"""The deployment tier of review environments: the review deployer's Role is bound to this tier's
group (:func:`tier_group`), the only group every review job of the project carries that the base
stack can name before the merge requests exist."""


@dataclass(frozen=True, kw_only=True)
class AgentArgs:
    """The GitLab agent for Kubernetes CI reaches the cluster through (config key ``agent``)."""

    project: str
    """The full path of the project the agent is registered in (its config file lives there)."""
    name: str
    """The agent's name, as registered: lowercase letters, digits and '-', at most 63."""

    def __post_init__(self) -> None:
        gitlab_rules.project_path("project", self.project)
        agent_name("name", self.name)

    @property
    def context(self) -> str:
        """The kubeconfig context GitLab gives a job for this agent (GL-37)."""
        return f"{self.project}:{self.name}"


def agent_name(field: str, value: Any) -> str:
    """A name GitLab gives an agent (GL-36)."""
    if not isinstance(value, str) or len(value) > AGENT_NAME_MAX or not AGENT_NAME.match(value):
        raise v.InvalidArgument(
            field,
            value,
            f"must be a GitLab agent name: lowercase letters, digits and '-', not starting or ending with '-', "
            f"at most {AGENT_NAME_MAX} characters",
        )
    return value


def check_agent_project(agent: AgentArgs, project_path: str) -> None:
    """Refuse an agent registered in the app's own project, or outside its top-level group (GitLab
    would never let the app's jobs through it, GL-40). Every job of an agent's project may
    use the agent with the agent's own rights (which include impersonating anyone, AG-2) unless
    its config file names the project with an access GitLab's licence allows: on Free, or once a
    licence lapses, GitLab drops the ``ci_job`` entry and that implicit access wins (GL-41,
    GL-42), under which agentk forwards whatever impersonation the job asks for (AG-3). And
    whoever may push to the app's default branch could rewrite the file."""
    if agent.project.lower() == project_path.lower():
        raise v.InvalidArgument(
            "agent.project",
            agent.project,
            f"must be another project than the app's own, {project_path!r}: an agent's own project's jobs, any "
            "branch's, may use it with agentk's rights (cluster-wide impersonation) whenever its config file does "
            "not grant them ci_job access GitLab's licence allows, and whoever may push to that project's default "
            "branch writes the file. Register the agent in a project only admins can write to (the agent/ "
            "program: README, 'Installing the agent')",
        )
    if gitlab_rules.top_level_group(agent.project) != gitlab_rules.top_level_group(project_path):
        raise v.InvalidArgument(
            "agent.project",
            agent.project,
            f"must be under the app project's top-level group {project_path.split('/', 1)[0]!r}: GitLab lets an "
            "agent serve only projects under its own project's top-level group, and drops any other entry of its "
            "config file (GL-40)",
        )


def check(mode: Any, agent: Any) -> None:
    """``cluster_access`` and ``agent`` together: the agent is required in agent mode, and refused
    otherwise (it would be silently unused)."""
    v.one_of("cluster_access", mode, MODES)
    if agent is not None and not isinstance(agent, AgentArgs):
        raise v.InvalidArgument("agent", agent, "must be an AgentArgs (project and name)")
    if mode == AGENT and agent is None:
        raise v.InvalidArgument(
            "agent",
            None,
            "is required when clusterAccess is 'agent': the agent's project full path and name, "
            "e.g. {project: acme/cluster-agents, name: production}",
        )
    if mode != AGENT and agent is not None:
        raise v.InvalidArgument(
            "agent",
            agent.context,
            f"must not be set when clusterAccess is {mode!r}: only agent mode reaches the cluster through an agent",
        )


def kube_context(mode: str, agent: AgentArgs | None) -> str | None:
    """The Kubernetes provider's ``context``: the agent's in agent mode, else none (the
    kubeconfig's current context). The provider does not read it from the environment (PK-18)."""
    return agent.context if mode == AGENT and agent is not None else None


def environment_group(project_id: pulumi.Input[str], environment: str) -> pulumi.Output[str]:
    """The group KAS impersonates a job of ``environment`` with (AG-1): by the environment's
    **slug** (GitLab's rule, :func:`~.labels.environment_slug`, GL-35), not its name."""
    slug = environment_slug(environment)
    return pulumi.Output.from_input(project_id).apply(lambda pid: f"gitlab:project_env:{pid}:{slug}")


def tier_group(project_id: pulumi.Input[str], tier: str) -> pulumi.Output[str]:
    """The group KAS impersonates every job of an environment of ``tier`` with (AG-1)."""
    return pulumi.Output.from_input(project_id).apply(lambda pid: f"gitlab:project_env_tier:{pid}:{tier}")


def environment_pattern(field: str, value: Any) -> str:
    """An entry of ``ci_access.environments``: an environment name, or one with ``*`` wildcards
    (GL-40); literal, as :func:`~.gitlab_rules.environment_name` says."""
    if value == "*":
        return value
    try:
        gitlab_rules.environment_name(field, value.replace("*", "x") if isinstance(value, str) else value)
    except v.InvalidArgument:
        raise v.InvalidArgument(
            field, value, "must be a GitLab environment name, or one with '*' wildcards (e.g. 'review/*')"
        ) from None
    return value
