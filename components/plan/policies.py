"""The policy pack's rules, evaluated on every resource of a plan as CrossGuard would evaluate them
(docs/contracts.md PC-9): which pack, which rules (the shipped pack's mandatory ones always among
them), the inputs shaped as a policy gets them, and the findings, secrets redacted."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Any

from .model import Plan
from .values import Secret

MANDATORY, ADVISORY = "mandatory", "advisory"  # CrossGuard's EnforcementLevel values


@dataclass(frozen=True)
class Finding:
    rule: str
    level: str
    resource: str
    """The resource's type and name."""
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.resource}: {self.message}"


def stack_tags(pairs: Sequence[str]) -> Mapping[str, str]:
    """``--stack-tag`` values as the stack's tags, which CrossGuard hands every policy."""
    tags = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--stack-tag {pair!r}: expected KEY=VALUE")
        tags[key] = value
    return MappingProxyType(tags)


def shipped_pack() -> Path:
    """The pack that comes with this package: ``gitlab_k8s_cd.policy`` (the repository's ``policy/``)."""
    policy = importlib.import_module("gitlab_k8s_cd.policy")
    return Path(str(policy.__file__)).resolve().parent


def policy_pack(project_dir: Path, given: str | None) -> Path:
    """The policy pack to evaluate: ``given``, else the project's ``policy/``, else the shipped one."""
    candidates = [Path(given)] if given else [project_dir / "policy", shipped_pack()]
    for pack in candidates:
        if (pack / "rules.py").is_file():
            return pack
    raise ValueError(f"no policy pack (a rules.py with RULES) in {' or '.join(str(p) for p in candidates)}")


def rule_level(rule: Any) -> str:
    """A rule's enforcement level as text: a pack may give CrossGuard's EnforcementLevel itself,
    whose str() is "EnforcementLevel.MANDATORY", not its value; that must not demote a violation."""
    level = rule.level
    return str(getattr(level, "value", level))


@dataclass(frozen=True)
class PolicyRules:
    """The rules the plan evaluates, and where they come from."""

    rules: tuple[Any, ...]
    pack: Path
    shipped: Path | None = None
    """The shipped pack, when its mandatory rules were added to ``pack``'s."""
    added: int = 0

    def describe(self) -> str:
        if not self.added:
            return f"{len(self.rules)} rules of {self.pack}"
        return (
            f"{len(self.rules)} rules: {len(self.rules) - self.added} of {self.pack} and {self.added} mandatory "
            f"of the shipped pack {self.shipped}"
        )


def policy_rules(pack: Path) -> PolicyRules:
    """``pack``'s rules, plus the shipped pack's mandatory ones when ``pack`` is another directory.

    The project's ``policy/`` takes precedence over the shipped pack, and a merge request can change
    it: so a pack without a mandatory rule is refused (it would switch the check off), and the
    shipped pack's mandatory rules are always evaluated too, beside the project's (a project rule of
    the same name adds to the shipped one, never replaces it: it could otherwise be a no-op).
    """
    rules = load_rules(pack)
    mandatory = {rule.name for rule in rules if rule_level(rule) == MANDATORY}
    if not mandatory:
        raise ValueError(
            f"the policy pack {pack} has no mandatory rule ({len(rules)} rules): a pack that enforces nothing "
            "would switch the plan's policy check off; give it mandatory rules, or remove it to use the shipped pack"
        )
    shipped = shipped_pack()
    if shipped.resolve() == pack.resolve():
        return PolicyRules(rules, pack)
    added = tuple(rule for rule in load_rules(shipped) if rule_level(rule) == MANDATORY)
    return PolicyRules(tuple(rules) + added, pack, shipped, len(added))


def load_rules(pack: Path) -> tuple[Any, ...]:
    """The pack's ``RULES``: each with ``name``, ``level`` and ``check(type, props, tags)``."""
    module_name = f"_gitlab_k8s_cd_policy_rules_{abs(hash(str(pack.resolve())))}"
    spec = importlib.util.spec_from_file_location(module_name, pack / "rules.py")
    assert spec and spec.loader
    module: ModuleType = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses look their module up while the module runs
    try:
        spec.loader.exec_module(module)
        rules = tuple(module.RULES)
    except Exception as error:  # an ImportError of an older pack (pulumi-policy not installed) included
        raise ValueError(f"the policy pack {pack} failed to load: {type(error).__name__}: {error}") from None
    for rule in rules:
        named = isinstance(getattr(rule, "name", None), str)
        if not (named and hasattr(rule, "level") and callable(getattr(rule, "check", None))):
            raise ValueError(f"the policy pack {pack}: {rule!r} is not a rule with a name, a level and a check")
    return rules


def crossguard_props(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A resource's inputs as a CrossGuard resource validation policy gets them (docs/contracts.md
    PC-9): the engine drops top-level keys that start with ``__`` and sends the rest through a
    protobuf Struct, so every number arrives as a float; pulumi-policy unwraps every secret into
    its plain value."""

    def convert(value: Any) -> Any:
        if isinstance(value, Secret):
            return convert(value.value)
        if isinstance(value, dict):
            return {key: convert(item) for key, item in value.items()}
        if isinstance(value, list):
            return [convert(item) for item in value]
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        return value

    return {key: convert(value) for key, value in inputs.items() if not key.startswith("__")}


def evaluate_policies(plan: Plan, rules: Sequence[Any], tags: Mapping[str, str]) -> list[Finding]:
    """Every rule on every resource, as the engine runs a policy pack on each resource it registers.
    A message never shows a secret: whatever a rule quotes of a secret value is redacted."""
    secrets = sorted(_secret_texts(plan), key=len, reverse=True)
    findings = []
    for resource in plan.resources:
        where = f"{resource.type} {resource.name}"
        for rule in rules:
            # A fresh copy for each policy, as pulumi-policy deserializes the properties for each.
            try:
                messages = list(rule.check(resource.type, crossguard_props(resource.inputs), tags))
            except Exception as error:
                # As a policy that raises fails the CLI's preview. Its text could quote a secret.
                raise PolicyError(f"{rule.name} raised {type(error).__name__} on {where}") from None
            for message in messages:
                for secret in secrets:
                    message = message.replace(secret, "[secret]")
                finding = Finding(rule.name, rule_level(rule), where, message)
                # A project's copy of a shipped rule runs beside it: say each finding once.
                if finding not in findings:
                    findings.append(finding)
    return findings


class PolicyError(Exception):
    """A rule failed to run."""


def _secret_texts(plan: Plan) -> set[str]:
    texts: set[str] = set()

    def walk(value: Any, secret: bool) -> None:
        if isinstance(value, Secret):
            walk(value.value, True)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item, secret)
        elif isinstance(value, list):
            for item in value:
                walk(item, secret)
        elif secret and isinstance(value, str) and value:
            texts.update((value, repr(value)[1:-1]))  # as written and as a rule's !r quotes it

    for resource in plan.resources:
        walk(resource.inputs, False)
    return texts


def show_tags(tags: Mapping[str, str]) -> str:
    return ", ".join(f"{key}={value}" for key, value in tags.items()) or "none"
