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
    register: bool = True
    """Whether this stack registers the agent, its agentk token and its config file
    (:class:`~.gitlab_agent.GitLabAgent`). Default true, which needs the agent in this stack's own
    project: CI's GitLab token reaches no other (GL-44). False: the agent is registered and
    configured elsewhere (a project of cluster agents), and its config file must grant this
    project's environments ``ci_job`` access (the README shows the entry)."""
    environments: tuple[str, ...] | None = None
    """With ``register``: the environments whose jobs the config file lets through the tunnel,
    names or patterns with ``*`` (GL-40). They must include this stack's environment; list another
    stack's only when it deploys through the same agent with ``register: false``. Default: this
    stack's environment, and with review apps ``review/*``."""

    def __post_init__(self) -> None:
        gitlab_rules.project_path("project", self.project)
        v.boolean("register", self.register)
        if self.environments is not None:
            if isinstance(self.environments, list):
                object.__setattr__(self, "environments", tuple(self.environments))
            if not isinstance(self.environments, tuple) or not self.environments:
                raise v.InvalidArgument(
                    "environments", self.environments, "must be a non-empty list of GitLab environments"
                )
            for index, environment in enumerate(self.environments):
                environment_pattern(f"environments[{index}]", environment)
            if not self.register:
                raise v.InvalidArgument(
                    ("environments", "register"),
                    (list(self.environments), False),
                    "environments are the config file's, which only a registering stack writes: "
                    "set register: true, or leave environments out",
                )
        if not isinstance(self.name, str) or len(self.name) > AGENT_NAME_MAX or not AGENT_NAME.match(self.name):
            raise v.InvalidArgument(
                "name",
                self.name,
                f"must be a GitLab agent name: lowercase letters, digits and '-', not starting or ending with '-', "
                f"at most {AGENT_NAME_MAX} characters",
            )

    @property
    def context(self) -> str:
        """The kubeconfig context GitLab gives a job for this agent (GL-37)."""
        return f"{self.project}:{self.name}"


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
            "is required when cluster_access is 'agent': the agent's project full path and name, "
            "e.g. {project: acme/cluster-agents, name: production}",
        )
    if mode != AGENT and agent is not None:
        raise v.InvalidArgument(
            "agent",
            agent.context,
            f"must not be set when cluster_access is {mode!r}: only agent mode reaches the cluster through an agent",
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


def environment_matches(pattern: str, environment: str) -> bool:
    """Whether GitLab lets a job of ``environment`` through an authorization listing ``pattern``
    (``Gitlab::Ci::EnvironmentMatcher``, GL-40): equal, or, with a ``*``, the **unanchored**
    regular expression ``pattern`` with each ``*`` read as ``.*`` (``review/*`` also matches
    ``old-review/x``, and a ``.`` matches any character)."""
    if pattern == environment:
        return True
    return "*" in pattern and re.search(pattern.replace("*", ".*"), environment) is not None


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
