"""The offline plan: run a stack's program under Pulumi's mocks, validate, check policies, write and compare.

    python -m gitlab_k8s_cd.components.plan --stack staging [-c key=value ...] [--stack-tag KEY=VALUE ...]
                              [--out DIR] [--compare DIR] [--kubernetes-version 1.31]
                              [--policy-pack DIR] [--project-dir DIR] [--config-namespace NS]

It needs no Pulumi CLI, no cluster and no GitLab. It reads the stack file as the Pulumi CLI does
(docs/contracts.md PC-8), runs the program as the project its Pulumi.yaml names (the
program's ``pulumi.get_project()``, whose namespace ``load_settings`` reads), prints a tree of
every resource the stack declares (secrets as ``[secret]``), validates every Kubernetes manifest
strictly against the OpenAPI schema of ``--kubernetes-version``, evaluates the policy pack's
rules on every resource as CrossGuard would (docs/contracts.md PC-9), with the mandatory rules of
the pack shipped with this package always among them (see ``policy_rules``), and writes to
``--out`` (default ``build/plan``):

- ``kubernetes.yaml``: every Kubernetes object, in apply order, secrets redacted;
- ``gitlab.yaml``: every GitLab resource with its inputs, secrets redacted;
- ``resources.json``: every resource by URN, what ``--compare`` reads;
- ``outputs.json``: the stack's outputs (what ``pulumi stack output`` would show), secrets redacted;
- ``changes.json``: with ``--compare``, the changes against the earlier plan.

Exit status: 0 the plan is valid; 1 the plan is invalid: a manifest fails the schema (object and
field named) or a mandatory policy is violated (rule and resource named); 2 a configuration error
(key, value and expectation named; a policy pack with no mandatory rule, too); 3 the program failed
otherwise.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Any

import yaml

from .diff import compare
from .kubernetes_schema import supported_versions, validate_manifests
from .stack_file import stack_config  # shared with the test harness (testing.plan_stack)
from .testing import Plan, PlannedResource, ProgramError, Secret, run_program

EXIT_OK, EXIT_INVALID, EXIT_CONFIG, EXIT_PROGRAM = 0, 1, 2, 3
EXIT_INVALID_MANIFEST = EXIT_INVALID
DEFAULT_KUBERNETES_VERSION = "1.31"
CONFIG_ERRORS = ("gitlab_k8s_cd.components.config.ConfigError", "gitlab_k8s_cd.components.validation.InvalidArgument")
MANDATORY, ADVISORY = "mandatory", "advisory"  # CrossGuard's EnforcementLevel values


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    project_dir = Path(args.project_dir).resolve()
    try:
        stack = stack_config(project_dir, args.stack, args.config, namespace=args.config_namespace)
        tags = stack_tags(args.stack_tag)
        pack = policy_pack(project_dir, args.policy_pack)
        policies = policy_rules(pack)
    except (OSError, ValueError, yaml.YAMLError, RecursionError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    for note in stack.notes:
        print(f"note: {note}", file=sys.stderr)

    try:
        plan = run_program(
            project_dir / "__main__.py",
            project=stack.project,
            stack=args.stack,
            config=stack.config,
            secret_keys=stack.secret_keys,
        )
    except ProgramError as error:
        if error.type in CONFIG_ERRORS:
            print(f"configuration error: {error.message}", file=sys.stderr)
            return EXIT_CONFIG
        print(
            f"the program failed: {error}\n{error.plan.error.get('traceback', '') if error.plan.error else ''}",
            file=sys.stderr,
        )
        return EXIT_PROGRAM

    print(f"Offline plan of {stack.project}/{args.stack} (Pulumi mock runtime: no CLI, no cluster, no GitLab)")
    for key in stack.placeholders:
        print(f"  note: {key} is not set here; planned with a placeholder secret")
    for key in stack.encrypted:
        print(
            f"  note: {key} is encrypted in the stack file; planned with a placeholder secret (nothing decrypts "
            "offline)"
        )
    print()
    print(render_tree(plan, f"{stack.project}-{args.stack}"))
    print()
    written = plan.write(args.out)

    documents = plan.manifests()
    problems = validate_manifests(documents, args.kubernetes_version)
    manifests = len(documents)
    try:
        findings = evaluate_policies(plan, policies.rules, tags)
    except PolicyError as error:
        print(f"the policy pack failed: {error}", file=sys.stderr)
        return EXIT_PROGRAM
    if args.compare:
        comparison = compare(json.loads((Path(args.compare) / "resources.json").read_text()), plan.resource_table())
        (Path(args.out) / "changes.json").write_text(json.dumps(comparison.to_json(), indent=1) + "\n")
        print(f"Compared with {args.compare}: {comparison.summary()}")
        for change in comparison.changes:
            print(change)
        print()
    print(f"Wrote {', '.join(str(p) for p in written)}")
    if problems:
        print(
            f"INVALID: {len(problems)} of {manifests} manifests fail the Kubernetes {args.kubernetes_version} schema:",
            file=sys.stderr,
        )
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
    else:
        print(f"Valid: {manifests} manifests against the Kubernetes {args.kubernetes_version} schema (strict)")

    where = f"{policies.describe()}, stack tags: {_show_tags(tags)}"
    for finding in findings:
        if finding.level != MANDATORY:
            print(f"warning: {finding} (advisory)")
    mandatory = [finding for finding in findings if finding.level == MANDATORY]
    if mandatory:
        print(f"POLICY VIOLATIONS: {len(mandatory)} mandatory ({where}):", file=sys.stderr)
        for finding in mandatory:
            print(f"  {finding}", file=sys.stderr)
    else:
        print(f"Policies: no mandatory violation ({where})")
    return EXIT_INVALID if problems or mandatory else EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m gitlab_k8s_cd.components.plan", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--stack", required=True, help="the stack, read from Pulumi.<stack>.yaml")
    parser.add_argument(
        "-c",
        "--config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value, as `pulumi up -c` does (KEY without a namespace means <project>:KEY)",
    )
    parser.add_argument(
        "--stack-tag",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a tag the stack has (`pulumi stack tag set KEY VALUE`), which policies read; default none. "
        "A development stack: --stack-tag gitlab-k8s-cd:development=true",
    )
    parser.add_argument("--out", default="build/plan", help="where to write the plan (default build/plan)")
    parser.add_argument("--compare", metavar="DIR", help="an earlier plan's directory to compare with")
    parser.add_argument(
        "--kubernetes-version",
        default=DEFAULT_KUBERNETES_VERSION,
        choices=supported_versions(),
        metavar="X.Y",
        help=f"validate against this Kubernetes version (default {DEFAULT_KUBERNETES_VERSION})",
    )
    parser.add_argument(
        "--policy-pack",
        metavar="DIR",
        help="the policy pack whose rules.py RULES the plan evaluates, as `pulumi preview --policy-pack DIR` "
        "does (default: policy/ in the project, else the one shipped with this package); it needs a mandatory "
        "rule, and the shipped pack's mandatory rules are evaluated too",
    )
    parser.add_argument("--project-dir", default=".", help="the Pulumi project (default: the current directory)")
    parser.add_argument(
        "--config-namespace",
        metavar="NS",
        help="the config namespace the program reads (load_settings(namespace=NS)); default: the project's name, "
        "as load_settings() reads",
    )
    return parser


# --- policies -------------------------------------------------------------------------------


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


def _show_tags(tags: Mapping[str, str]) -> str:
    return ", ".join(f"{key}={value}" for key, value in tags.items()) or "none"


# --- the tree -------------------------------------------------------------------------------


def render_tree(plan: Plan, root: str) -> str:
    """Every resource under its parent, with a short summary; secrets as ``[secret]``."""
    lines = [f"{root} (pulumi:pulumi:Stack)"]

    def walk(parent: str | None, prefix: str) -> None:
        children = sorted((r for r in plan.resources if r.parent == parent), key=lambda r: (r.custom, r.type, r.name))
        for index, resource in enumerate(children):
            last = index == len(children) - 1
            branch = "└─ " if last else "├─ "
            summary = _summary(resource)
            lines.append(f"{prefix}{branch}{resource.name} ({resource.type}){'  ' + summary if summary else ''}")
            walk(resource.urn, prefix + ("   " if last else "│  "))

    walk(None, "")
    return "\n".join(lines)


def _summary(resource: PlannedResource) -> str:
    inputs = resource.inputs
    if resource.is_kubernetes:
        metadata = inputs.get("metadata") or {}
        where = "/".join(str(p) for p in (metadata.get("namespace"), metadata.get("name")) if p)
        if inputs.get("kind") == "Deployment":
            container = inputs["spec"]["template"]["spec"]["containers"][0]
            return f"{where} image={_show(container['image'])}"
        return where
    if resource.type == "gitlab:index/projectVariable:ProjectVariable":
        flags = [flag for flag in ("masked", "hidden", "protected") if inputs.get(flag) is True]
        return (
            f"{inputs['key']}={_show(inputs['value'])} scope={inputs.get('environmentScope')}"
            f"{' [' + ', '.join(flags) + ']' if flags else ''}"
        )
    if resource.type == "pulumi:providers:kubernetes":
        return f"cluster_identifier={_show(inputs.get('clusterIdentifier'))}"
    return ""


def _show(value: Any) -> str:
    return "[secret]" if isinstance(value, Secret) else str(value)


if __name__ == "__main__":
    sys.exit(main())
