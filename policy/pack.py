"""The CrossGuard ``PolicyPack`` of the installed rules: what a pack's ``__main__.py`` calls.

A policy pack is a directory that Pulumi runs with a Python of its own (``pulumi preview
--policy-pack DIR``: ``python -m pulumi.policy ... DIR``, with DIR's ``PulumiPolicy.yaml`` runtime
options; docs/contracts.md PC-15). This module is what such a directory imports, so that the pack a
consumer writes with ``python -m gitlab_k8s_cd.policy write DIR`` runs the rules of the installed
release, not a copy of them. This repository's own ``policy/`` folder, run as a pack, imports
:func:`policy` from here too (as the top-level module ``pack``), with the rules beside it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gitlab_k8s_cd.policy.rules import Rule

PACK_NAME = "gitlab-k8s-cd"


def policy(rule: Rule) -> Any:
    """One rule as a CrossGuard resource validation policy (pulumi-policy is imported here only:
    the offline plan loads the rules where it is not installed)."""
    from pulumi_policy import EnforcementLevel, ResourceValidationPolicy

    def validate(args: Any, report_violation: Any) -> None:
        for message in rule.check(args.resource_type, args.props, args.stack_tags):
            report_violation(message, None)

    return ResourceValidationPolicy(
        name=rule.name, description=rule.description, validate=validate, enforcement_level=EnforcementLevel(rule.level)
    )


def policy_pack() -> Any:
    """Declare the pack: pulumi-policy serves it to the engine that started this process."""
    from pulumi_policy import PolicyPack

    from gitlab_k8s_cd.policy.rules import RULES

    return PolicyPack(name=PACK_NAME, policies=[policy(rule) for rule in RULES])
