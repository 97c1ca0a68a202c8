"""A nightly drift check: a GitLab pipeline schedule that runs `pulumi preview --refresh
--expect-no-changes` for this stack, and fails when the live state has drifted from the code.

The CI/CD component recognises the schedule's pipeline by its description
(``$CI_PIPELINE_SCHEDULE_DESCRIPTION``, GitLab 17.8+), not by a schedule variable: schedule
variables are pipeline variables, which projects created on GitLab.com since 17.7 refuse to
everyone (``ci_pipeline_variables_minimum_override_role: no_one_allowed``).

The same schedule's pipeline rotates CI's GitLab token first (``gitlab_k8s_cd.pipeline.ci_token``), so the
schedule stays active when the drift check is turned off: it is then described as a token
rotation, and the component runs the rotation alone. Without it the token would expire."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pulumi
import pulumi_gitlab as gitlab

from . import schedules
from . import validation as v

DRIFT_CHECK_DESCRIPTION = "gitlab-k8s-cd drift check of stack "
"""The schedule's description, followed by the stack's name. The CI/CD component's drift jobs run
only in a pipeline of the schedule so described, and its other jobs never do: keep both in step."""


TOKEN_ROTATION_DESCRIPTION = "gitlab-k8s-cd token rotation of stack "
"""The same schedule's description, followed by the stack's name, when the drift check is off."""


def drift_check_description(stack: str) -> str:
    """The description of ``stack``'s drift-check schedule."""
    return DRIFT_CHECK_DESCRIPTION + stack


def token_rotation_description(stack: str) -> str:
    """The description of ``stack``'s schedule when its drift check is off: it only rotates the token."""
    return TOKEN_ROTATION_DESCRIPTION + stack


_REF = re.compile(r"^[A-Za-z0-9._/-]{1,255}$")


@dataclass(frozen=True, kw_only=True)
class DriftCheckSpec:
    """When the drift check runs."""

    enabled: bool = True
    """Whether the nightly pipeline checks for drift. Default true. False keeps the schedule for
    the token rotation alone, never pauses it."""
    cron: str = "0 3 * * *"
    """When it runs, as a five-field cron expression. Default 03:00 every night."""
    timezone: str = "UTC"
    """The cron expression's time zone. Default UTC."""
    ref: str = "main"
    """The branch whose code is compared with the live state. Default main."""

    def __post_init__(self) -> None:
        v.boolean("enabled", self.enabled)
        schedules.cron_expression("cron", self.cron)
        if not self.cron.split()[0].isdigit():
            # Each run holds the environment's resource group (token rotation, drift check): a
            # schedule every few minutes would keep deploys waiting.
            raise v.InvalidArgument(
                "cron", self.cron, "must run at most once an hour: give its minute field one minute"
            )
        schedules.time_zone("timezone", self.timezone)
        if not isinstance(self.ref, str) or not _REF.match(self.ref) or ".." in self.ref:
            raise v.InvalidArgument("ref", self.ref, "must be a branch name")


@dataclass(frozen=True, kw_only=True)
class DriftCheckArgs:
    project: pulumi.Input[str]
    """The project whose pipeline runs the check."""
    stack: str
    """The stack to check; the schedule's description names it."""
    spec: DriftCheckSpec = field(default_factory=DriftCheckSpec)
    """When it runs. Default :class:`DriftCheckSpec`."""


class DriftCheck(pulumi.ComponentResource):
    """Creates a PipelineSchedule described ``gitlab-k8s-cd drift check of stack <stack>``, or
    ``gitlab-k8s-cd token rotation of stack <stack>`` when the drift check is off. It is always
    active: its pipeline also rotates CI's GitLab token."""

    def __init__(self, name: str, args: DriftCheckArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("gitlab-k8s-cd:drift_check:DriftCheck", name, None, opts)
        gitlab.PipelineSchedule(
            f"{name}-schedule",
            project=args.project,
            description=(drift_check_description if args.spec.enabled else token_rotation_description)(args.stack),
            ref=f"refs/heads/{args.spec.ref}",
            cron=args.spec.cron,
            cron_timezone=args.spec.timezone,
            active=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})
