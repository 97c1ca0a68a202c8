"""The GitLab agent for Kubernetes, registered in its own project: the agent, agentk's token, and
the agent's config file, which lets the listed projects' environments through the agent's CI/CD
tunnel with ``ci_job`` impersonation (docs/contracts.md AG-1).

An admin's concern, declared by the bootstrap program ``agent/`` (README, "Installing the agent"),
never by a stack CI runs: the agent's project must be one only admins can write to. Whoever can
change the config file on its default branch decides which jobs reach the cluster and as whom
(``access_as: agent`` gives a job agentk's own rights, which include impersonating anyone: AG-2,
AG-3),
and a project's own jobs may use its agent with those rights whenever the file does not name the
project with an access GitLab's licence allows (GL-41, GL-42). So an app stack refuses an agent
registered in its own project (:func:`~.cluster_access.check_agent_project`).

Facts relied on, read at source (docs/contracts.md): the config file's path, branch and strict
schema (GL-39, GL-40); the provider resources (PG-6..8).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_gitlab as gitlab
import yaml

from . import cluster_access, gitlab_rules, kubernetes_names
from . import validation as v

CONFIG_FILE = ".gitlab/agents/{name}/config.yaml"
"""Where KAS reads an agent's config: in the agent's project, on its default branch alone (GL-39)."""

COMMIT_MESSAGE = "gitlab-k8s-cd: the GitLab agent {name}'s CI/CD access [skip ci]"
"""Each change of the file is a commit on the default branch (PG-8); ``[skip ci]`` keeps it from
starting a pipeline of its own."""

HEADER = (
    "# Managed by gitlab-k8s-cd (Pulumi stack {stack}): a change made here is undone by its next run.\n"
    "# Change the stack's `agent.access` instead.\n"
)

TOKEN_NAME = "agentk"
TOKEN_DESCRIPTION = "agentk's token (gitlab-k8s-cd)"
"""Fixed: a change of a token's name or description replaces it, and revokes the one agentk uses (PG-7)."""

ACCESS_MAX = 500
"""GitLab takes at most 500 ``ci_access.projects`` entries (GL-40), the agent's own project's among them."""

NO_ENVIRONMENT = "gitlab-k8s-cd/no-job-of-this-project/"
"""The one environment of the agent's own project's entry: no environment's name ends with '/'
(GL-18), so no job matches it. The entry still replaces the access a project has to its own
agent, whatever the licence (GL-41)."""


@dataclass(frozen=True, kw_only=True)
class CiAccessArgs:
    """One project whose jobs of some environments may use the agent (a ``ci_access.projects``
    entry, impersonated as the job: ``access_as: {ci_job: {}}``)."""

    project: str
    """The project's full path, e.g. ``acme/hello`` (GitLab matches it case-insensitively)."""
    environments: tuple[str, ...]
    """Its environments whose jobs may use the agent: names, or patterns with ``*``, matched as
    GL-40 says (``review/*`` for review apps). Required: an entry without it would let every job
    of the project through, an environment's or not."""

    def __post_init__(self) -> None:
        gitlab_rules.project_path("project", self.project)
        if isinstance(self.environments, list):
            object.__setattr__(self, "environments", tuple(self.environments))
        if not isinstance(self.environments, tuple) or not self.environments:
            raise v.InvalidArgument(
                "environments",
                self.environments,
                "must be a non-empty list of the project's environments (names, or patterns with '*')",
            )
        for index, environment in enumerate(self.environments):
            cluster_access.environment_pattern(f"environments[{index}]", environment)
        if len(set(self.environments)) != len(self.environments):
            raise v.InvalidArgument("environments", list(self.environments), "must not repeat an environment")


@dataclass(frozen=True, kw_only=True)
class AgentRegistrationArgs:
    """A GitLab agent and who may use it (the ``agent/`` program's config key ``agent``)."""

    project: str
    """The full path of the agent's project: one only admins can write to (its default branch
    holds the config file)."""
    name: str
    """The agent's name: lowercase letters, digits and '-', at most 63 (GL-36)."""
    access: tuple[CiAccessArgs, ...]
    """The projects, and their environments, whose jobs may use the agent."""
    agentk_namespace: str = "gitlab-agent"
    """The namespace agentk runs in, and its ServiceAccount's (:mod:`.agentk_rbac`). Default gitlab-agent."""

    def __post_init__(self) -> None:
        gitlab_rules.project_path("project", self.project)
        cluster_access.agent_name("name", self.name)
        kubernetes_names.dns1123_label("agentk_namespace", self.agentk_namespace)
        if isinstance(self.access, list):
            object.__setattr__(self, "access", tuple(_access(index, entry) for index, entry in enumerate(self.access)))
        if not isinstance(self.access, tuple) or not self.access or len(self.access) > ACCESS_MAX - 1:
            raise v.InvalidArgument(
                "access",
                self.access,
                f"must be a list of 1 to {ACCESS_MAX - 1} entries {{project: <full path>, environments: [...]}}",
            )
        seen: set[str] = set()
        root = gitlab_rules.top_level_group(self.project)
        for index, entry in enumerate(self.access):
            if not isinstance(entry, CiAccessArgs):
                raise v.InvalidArgument(f"access[{index}]", entry, "must be {project, environments}")
            if entry.project.lower() == self.project.lower():
                raise v.InvalidArgument(
                    f"access[{index}].project",
                    entry.project,
                    "must not be the agent's own project: its jobs get no access (the config file says so itself)",
                )
            if gitlab_rules.top_level_group(entry.project) != root:
                raise v.InvalidArgument(
                    f"access[{index}].project",
                    entry.project,
                    f"must be under the agent project's top-level group {root!r}: GitLab drops an entry for a "
                    "project outside it (GL-40)",
                )
            if any(set(pattern) <= {"*", "."} for pattern in entry.environments):
                # GitLab reads a pattern as a regex with '*' as '.*' and '.' as any character (GL-40):
                # one of only those matches every environment's name.
                raise v.InvalidArgument(
                    f"access[{index}].environments",
                    list(entry.environments),
                    "must not match every environment ('*', '**', '*.*'): name the deploying environments, and "
                    "'review/*' for review apps (a review job's group is its tier's, which other environments share)",
                )
            if entry.project.lower() in seen:
                raise v.InvalidArgument(
                    f"access[{index}].project",
                    entry.project,
                    "must not be listed twice: GitLab keeps one entry per project",
                )
            seen.add(entry.project.lower())

    @property
    def context(self) -> str:
        """The kubeconfig context GitLab gives an authorized job (GL-37): the app stacks' ``agent``."""
        return f"{self.project}:{self.name}"


def _access(index: int, entry: Any) -> CiAccessArgs | Any:
    if not isinstance(entry, Mapping):
        return entry  # refused by the caller, naming the entry
    unknown = set(entry) - {"project", "environments"}
    if unknown:
        raise v.InvalidArgument(
            f"access[{index}].{sorted(unknown)[0]}", entry[sorted(unknown)[0]], "is not a key (project, environments)"
        )
    return v.renamed(
        lambda: CiAccessArgs(project=entry.get("project"), environments=entry.get("environments")),
        {name: f"access[{index}].{name}" for name in ("project", "environments")},
    )


def config_file(agent_project: str, access: tuple[CiAccessArgs, ...], stack: str) -> str:
    """The agent's config file: ``ci_access`` for each entry's jobs of its environments alone,
    impersonated as the job (AG-1). First, an entry for the agent's own project that no job
    matches (:data:`NO_ENVIRONMENT`): without one, every job of that project, any branch's, could
    use the agent with agentk's rights (GL-41), which include acting as anyone (AG-3); with a
    ``ci_job`` one, as soon as GitLab's licence drops it (GL-42). Only keys of KAS's schema
    (GL-40: an unknown key makes KAS reject the whole file and keep the previous one)."""
    own = {"id": agent_project, "access_as": {"agent": {}}, "environments": [NO_ENVIRONMENT]}
    entries = [
        {"id": entry.project, "access_as": {"ci_job": {}}, "environments": list(entry.environments)} for entry in access
    ]
    document = {"ci_access": {"projects": [own, *entries]}}
    return HEADER.format(stack=stack) + yaml.safe_dump(document, sort_keys=False, default_flow_style=False)


@dataclass(frozen=True, kw_only=True)
class GitLabAgentArgs:
    project_id: pulumi.Input[str]
    """The agent's project's id (a lookup of :attr:`AgentRegistrationArgs.project`)."""
    default_branch: pulumi.Input[str]
    """That project's default branch, the only one KAS reads the config file from (GL-39)."""
    registration: AgentRegistrationArgs
    """The agent and its access."""
    stack: str
    """The stack that manages the file (named in its header)."""

    def __post_init__(self) -> None:
        if not isinstance(self.registration, AgentRegistrationArgs):
            raise v.InvalidArgument("registration", self.registration, "must be an AgentRegistrationArgs")


class GitLabAgent(pulumi.ComponentResource):
    """A GitLab agent for Kubernetes, and which jobs may use it.

    Declares, in this order:
    - the ``RepositoryFile`` ``.gitlab/agents/<name>/config.yaml`` on the default branch
      (:func:`config_file`). An existing file is never overwritten: the create fails, and
      ``pulumi import`` adopts it;
    - the ``ClusterAgent``, after the file, so that it never exists without its access list; a
      destroy deletes in reverse, the agent before its file;
    - agentk's ``ClusterAgentToken``: :attr:`token`, secret from the moment it exists (the SDK
      marks it so, PG-7), for the Helm install of agentk.
    """

    agent_id: pulumi.Output[int]
    token: pulumi.Output[str]
    config_file: pulumi.Output[str]
    """The config file's content."""

    def __init__(self, name: str, args: GitLabAgentArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("gitlab-k8s-cd:gitlab_agent:GitLabAgent", name, None, opts)
        registration = args.registration
        content = config_file(registration.project, registration.access, args.stack)
        file = gitlab.RepositoryFile(
            f"{name}-config",
            project=args.project_id,
            branch=pulumi.Output.from_input(args.default_branch).apply(_require_branch),
            file_path=CONFIG_FILE.format(name=registration.name),
            content=content,
            encoding="text",
            commit_message=COMMIT_MESSAGE.format(name=registration.name),
            overwrite_on_create=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        agent = gitlab.ClusterAgent(
            f"{name}-agent",
            project=args.project_id,
            name=registration.name,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[file]),
        )
        token = gitlab.ClusterAgentToken(
            f"{name}-token",
            project=args.project_id,
            agent_id=agent.agent_id,
            name=TOKEN_NAME,
            description=TOKEN_DESCRIPTION,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.agent_id = agent.agent_id
        self.token = pulumi.Output.secret(token.token)
        self.config_file = pulumi.Output.from_input(content)
        self.register_outputs({"agent_id": self.agent_id, "token": self.token, "config_file": self.config_file})


def _require_branch(branch: str | None) -> str:
    # An empty project has no default branch, and a file committed to another branch is never read (GL-39).
    if not branch:
        raise ValueError(
            "the agent's GitLab project has no default branch yet (an empty repository): push its first "
            "commit, then run again, so that the agent's config file goes where GitLab reads it"
        )
    return branch


def load_registration(key: str = "agent") -> AgentRegistrationArgs:
    """The program's ``<project>:<key>`` config (an object), validated before any resource: a
    :class:`~.config.ConfigError` names the key, the value and what is expected."""
    from .config import error, reading, value
    from .config_binder import members

    namespace = pulumi.get_project()
    with reading(namespace):
        raw = value(namespace, key)
        if raw is None:
            raise error(
                (key,),
                None,
                "is required: {project: <agent project full path>, name: <agent name>, "
                "access: [{project: <app project full path>, environments: [...]}]}",
            )
        try:
            given = json.loads(raw)
        except json.JSONDecodeError:
            raise error((key,), raw, "must be an object (a YAML mapping under the key in the stack file)") from None
        return members(key, given, AgentRegistrationArgs)
