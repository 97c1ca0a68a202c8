"""The GitLab environment a stack deploys to, optionally protected by approvals."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gitlab as gitlab

from . import endpoints, gitlab_rules
from . import validation as v

TIERS = ("production", "staging", "testing", "development", "other")
ACCESS_LEVELS = ("developer", "maintainer")
EXTERNAL_URL_MAX_LENGTH = 255
"""GitLab's limit on an environment's URL (``Environment`` validates ``length: { maximum: 255 }``)."""


@dataclass(frozen=True, kw_only=True)
class EnvironmentProtectionArgs:
    """Who may deploy to a protected environment, and how many approvals a deploy needs."""

    deploy_access_level: str = "maintainer"
    """The role that may run deploy jobs: developer or maintainer. Default maintainer."""
    required_approvals: int = 1
    """Approvals a deployment waits for (0 for none). Default 1."""
    approver_access_level: str = "maintainer"
    """The role that may approve: developer or maintainer. Default maintainer."""

    def __post_init__(self) -> None:
        v.one_of("deploy_access_level", self.deploy_access_level, ACCESS_LEVELS)
        v.integer("required_approvals", self.required_approvals, minimum=0, maximum=5)
        v.one_of("approver_access_level", self.approver_access_level, ACCESS_LEVELS)


@dataclass(frozen=True, kw_only=True)
class GitLabEnvironmentArgs:
    project: pulumi.Input[str]
    """The project's id."""
    name: str
    """The environment's name, e.g. ``staging``; CI jobs name it in ``environment:``."""
    external_url: str
    """Where the deployed app is reached (https)."""
    kubernetes_namespace: pulumi.Input[str]
    """The namespace the environment deploys into, shown by GitLab's dashboards."""
    tier: str | None = None
    """production, staging, testing, development or other. Default: the name if it is a tier, else other."""
    protection: EnvironmentProtectionArgs | None = None
    """Deploy access and approvals. Default: unprotected."""

    def __post_init__(self) -> None:
        gitlab_rules.environment_name("name", self.name)
        endpoints.absolute_url("external_url", self.external_url, max_length=EXTERNAL_URL_MAX_LENGTH)
        if self.tier is not None:
            v.one_of("tier", self.tier, TIERS)

    @property
    def resolved_tier(self) -> str:
        return self.tier or (self.name if self.name in TIERS else "other")


class GitLabEnvironment(pulumi.ComponentResource):
    """A GitLab environment.

    Creates a ProjectEnvironment with its URL, tier and Kubernetes namespace and, when
    ``protection`` is set, a ProjectProtectedEnvironment with deploy access and approval rules.
    """

    name: pulumi.Output[str]
    external_url: pulumi.Output[str]

    def __init__(self, name: str, args: GitLabEnvironmentArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("gitlab-k8s-cd:gitlab_environment:GitLabEnvironment", name, None, opts)
        environment = gitlab.ProjectEnvironment(
            f"{name}-environment",
            project=args.project,
            name=args.name,
            external_url=args.external_url,
            tier=args.resolved_tier,
            kubernetes_namespace=args.kubernetes_namespace,
            opts=pulumi.ResourceOptions(parent=self),
        )
        if args.protection is not None:
            gitlab.ProjectProtectedEnvironment(
                f"{name}-protection",
                project=args.project,
                environment=environment.name,
                deploy_access_levels_attributes=[{"access_level": args.protection.deploy_access_level}],
                approval_rules=[
                    {
                        "access_level": args.protection.approver_access_level,
                        "required_approvals": args.protection.required_approvals,
                    }
                ]
                if args.protection.required_approvals
                else None,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.name = pulumi.Output.from_input(args.name)
        self.external_url = pulumi.Output.from_input(args.external_url)
        self.register_outputs({"name": self.name, "external_url": self.external_url})
