"""The GitLab agent for Kubernetes, registered by the stack that deploys through it (agent mode,
``agent.register``): the agent, its token, and its config file, which grants this project's
environments the agent's CI/CD tunnel with ``ci_job`` impersonation.

Installing agentk in the cluster (its Deployment and its cluster-wide right to impersonate) is
an admin's step, never this stack's: the README's "Installing the agent" gives it the token this
stack registers (the stack output ``agent_token``).

Facts this relies on, read at source (docs/contracts.md): the config file's path, branch and
strict schema (GL-39, GL-40); a project's own agent serving every job of the project with the
agent's own rights unless the file lists the project (GL-41); the provider resources (PG-6..8).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gitlab as gitlab
import yaml

from . import cluster_access, gitlab_rules
from . import validation as v

CONFIG_FILE = ".gitlab/agents/{name}/config.yaml"
"""Where KAS reads an agent's config: in the agent's project, on its default branch alone (GL-39)."""

COMMIT_MESSAGE = "gitlab-k8s-cd: the GitLab agent {name}'s CI/CD access [skip ci]"
"""Each change of the file is a commit on the default branch (PG-8); ``[skip ci]`` keeps it from
starting a pipeline of its own."""

HEADER = (
    "# Managed by gitlab-k8s-cd (Pulumi stack {stack}): a change made here is undone by its next run.\n"
    "# Change the stack's `agent` config instead.\n"
)


def config_file(project_path: str, environments: Sequence[str], stack: str) -> str:
    """The agent's config file: ``ci_access`` for ``project_path``'s jobs of ``environments``
    alone, impersonated as the job (``access_as: {ci_job: {}}``, AG-1).

    Only keys of KAS's schema (GL-40: an unknown key makes KAS reject the whole file and keep the
    previous one). Listing the project explicitly also ends the implicit access a project has to
    its own agent, which would give every job, any branch's, the agent's own rights (GL-41).
    ``environments`` are GitLab environment names or ``*`` patterns, matched as GL-40 says."""
    document = {
        "ci_access": {
            "projects": [
                {"id": project_path, "access_as": {"ci_job": {}}, "environments": list(environments)},
            ]
        }
    }
    return HEADER.format(stack=stack) + yaml.safe_dump(document, sort_keys=False, default_flow_style=False)


@dataclass(frozen=True, kw_only=True)
class GitLabAgentArgs:
    project: pulumi.Input[str]
    """The agent's project (this project): its id."""
    project_path: str
    """That project's full path: the ``ci_access`` entry names it (GL-40)."""
    name: str
    """The agent's name (:class:`~.cluster_access.AgentArgs`)."""
    default_branch: pulumi.Input[str]
    """The project's default branch, the only one KAS reads the config file from (GL-39)."""
    environments: tuple[str, ...]
    """The environments whose jobs get the tunnel (names, or patterns with ``*``)."""
    stack: str
    """The stack that manages the file (named in its header)."""

    def __post_init__(self) -> None:
        gitlab_rules.project_path("project_path", self.project_path)
        if not isinstance(self.environments, tuple) or not self.environments:
            raise v.InvalidArgument("environments", self.environments, "must be a non-empty tuple of environments")
        for index, environment in enumerate(self.environments):
            cluster_access.environment_pattern(f"environments[{index}]", environment)


class GitLabAgent(pulumi.ComponentResource):
    """A GitLab agent for Kubernetes registered in this project, and how CI may use it.

    Declares, in this order:
    - the ``RepositoryFile`` ``.gitlab/agents/<name>/config.yaml`` on the default branch
      (:func:`config_file`);
    - the ``ClusterAgent``, after the file: from the moment the agent exists, its project's jobs
      get only what the file grants, never the agent's own rights (GL-41). A destroy deletes in
      the reverse order, so the agent is gone before its file is;
    - a ``ClusterAgentToken`` for agentk: :attr:`token`, secret from the moment it exists (the
      SDK marks it so, PG-7). Only agentk needs it; no CI variable holds it.
    """

    agent_id: pulumi.Output[int]
    token: pulumi.Output[str]
    config_file: pulumi.Output[str]
    """The config file's content."""

    def __init__(self, name: str, args: GitLabAgentArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("gitlab-k8s-cd:gitlab_agent:GitLabAgent", name, None, opts)
        content = config_file(args.project_path, args.environments, args.stack)
        file = gitlab.RepositoryFile(
            f"{name}-config",
            project=args.project,
            branch=pulumi.Output.from_input(args.default_branch).apply(_require_branch),
            file_path=CONFIG_FILE.format(name=args.name),
            content=content,
            encoding="text",
            commit_message=COMMIT_MESSAGE.format(name=args.name),
            # An existing file is an agent someone else configures: fail, never overwrite it
            # (``pulumi import`` adopts it; PG-8).
            overwrite_on_create=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        agent = gitlab.ClusterAgent(
            f"{name}-agent",
            project=args.project,
            name=args.name,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[file]),
        )
        token = gitlab.ClusterAgentToken(
            f"{name}-token",
            project=args.project,
            agent_id=agent.agent_id,
            name="agentk",
            description=f"agentk's token for the agent {args.name} (gitlab-k8s-cd stack {args.stack})",
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.agent_id = agent.agent_id
        self.token = pulumi.Output.secret(token.token)
        self.config_file = pulumi.Output.from_input(content)
        self.register_outputs({"agent_id": self.agent_id, "token": self.token, "config_file": self.config_file})


def _require_branch(branch: str | None) -> str:
    # An empty project has no default branch: a file committed to some other branch would never
    # be read (GL-39), and its jobs would keep the agent's own rights (GL-41).
    if not branch:
        raise ValueError(
            "the GitLab project has no default branch yet (an empty repository): push its first "
            "commit, then run again, so that the agent's config file goes where GitLab reads it"
        )
    return branch
