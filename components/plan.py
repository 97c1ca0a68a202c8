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
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Any

import yaml

from .config import KNOWN_KEYS, SECRET_KEYS
from .diff import compare
from .kubernetes_schema import supported_versions, validate_manifests
from .testing import Plan, PlannedResource, ProgramError, Secret, YamlTimestamp, cli_config_value, run_program

EXIT_OK, EXIT_INVALID, EXIT_CONFIG, EXIT_PROGRAM = 0, 1, 2, 3
EXIT_INVALID_MANIFEST = EXIT_INVALID
DEFAULT_KUBERNETES_VERSION = "1.31"
CONFIG_ERRORS = ("gitlab_k8s_cd.components.config.ConfigError", "gitlab_k8s_cd.components.validation.InvalidArgument")
OFFLINE_SECRET = "offline-plan-placeholder-secret"
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


# --- the stack's config, as the Pulumi CLI hands it over ----------------------------------------


@dataclass(frozen=True)
class StackConfig:
    project: str
    config: dict[str, str]
    """Every config value as the text the CLI hands the program (``cli_config_value``)."""
    secret_keys: list[str] = field(default_factory=list)
    placeholders: list[str] = field(default_factory=list)
    """Secret keys planned with a placeholder: neither the stack (decrypted) nor the environment has them."""
    encrypted: list[str] = field(default_factory=list)
    """Keys the stack file holds encrypted (``secure:``), planned with a placeholder: no secrets
    provider decrypts them offline."""
    notes: list[str] = field(default_factory=list)


def project_name(project_dir: Path) -> str:
    """The ``name`` in the project's Pulumi.yaml: the program's ``pulumi.get_project()``, and the
    namespace a config key without one gets (docs/contracts.md PC-13)."""
    project_file = read_yaml(project_dir / "Pulumi.yaml")
    project = project_file.get("name") if isinstance(project_file, dict) else None
    if not isinstance(project, str) or not project:
        raise ValueError(f"{project_dir / 'Pulumi.yaml'}: no project name")
    return project


def stack_config(
    project_dir: Path, stack: str, overrides: Sequence[str], *, namespace: str | None = None
) -> StackConfig:
    """The project's name and the stack's config with ``-c`` overrides, as the Pulumi CLI reads
    them (docs/contracts.md PC-8); ValueError for what the CLI would refuse to load. ``namespace``
    is the one the program reads its keys from (default: the project's)."""
    project = project_name(project_dir)
    namespace = project if namespace is None else namespace
    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if not stack_file.exists():
        raise ValueError(f"no stack file {stack_file.name} in {project_dir}")
    document = read_yaml(stack_file)
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ValueError(f"{stack_file.name}: expected a mapping")
    raw = document.get("config") or {}
    if not isinstance(raw, dict):
        raise ValueError(f"{stack_file.name}: config must be a mapping")
    result = StackConfig(project, {})
    for key, value in raw.items():
        # pulumi/pulumi loaders.go l. 61-89: a config key without a namespace gets the project's,
        # and key.go l. 45-70 (ParseKey) refuses any other form than <namespace>:<name>.
        if not isinstance(key, str):
            raise ValueError(f"{stack_file.name}: config key {key!r} is not a string")
        full = _config_key(key if ":" in key else f"{project}:{key}", stack_file.name)
        _refuse_plain_text_beside_secrets(stack_file.name, full, value, namespace, project)
        value, secret = _decrypt_offline(value)
        if secret:
            result.secret_keys.append(full)
            result.encrypted.append(full)
        if value is None:  # loaders.go l. 379-410 warns of it too
            result.notes.append(f"{stack_file.name}: no value for {full}; the Pulumi CLI hands the program ''")
        for path, timestamp in _timestamps(value):
            result.notes.append(
                f"{stack_file.name}: {full}{path} is the unquoted YAML timestamp {timestamp.text}, which the "
                f"Pulumi CLI hands the program as {str(timestamp)!r}; quote it to pass the text as written"
            )
        try:
            result.config[full] = cli_config_value(value)
        except (ValueError, TypeError, RecursionError) as error:  # !!binary bytes, a 5000-deep nesting
            raise ValueError(f"{stack_file.name}: {full}: the Pulumi CLI cannot load this value ({error})") from None
    for override in overrides:
        # `pulumi up -c KEY=VALUE` hands VALUE over as text, as written, and `-c KEY` an empty one
        # (pkg/cmd/pulumi/project/newcmd/config.go l. 412-433: config.NewValue, never coerced).
        key, _, value = override.partition("=")
        result.config[_config_key(key if ":" in key else f"{project}:{key}", "-c")] = value
    review_stack = f"{namespace}:mergeRequestIid" in result.config  # it hands CI no backend secret
    # Only a program that reads its config with load_settings needs them: its namespace holds
    # nothing but our keys (load_settings refuses any other). A program with config of its own (one
    # that builds the components' Args itself) gets no placeholder it would not read.
    own = [key.partition(":")[2] for key in result.config if key.partition(":")[0] == namespace]
    ours = bool(own) and all(key in KNOWN_KEYS for key in own)
    for key, env in SECRET_KEYS.items() if ours else ():
        full = f"{namespace}:{key}"
        if full not in result.config and env not in os.environ and not review_stack:
            result.config[full] = OFFLINE_SECRET
            result.secret_keys.append(full)
            result.placeholders.append(full)
    return result


def _config_key(key: str, where: str) -> str:
    namespace, _, name = key.partition(":")
    if name.startswith("config:") and name.count(":") == 1:
        name = name.removeprefix("config:")  # the old <namespace>:config:<name> form
    if not namespace or ":" in name:
        raise ValueError(
            f"{where}: could not parse {key} as a configuration key "
            "(configuration keys should be of the form `<namespace>:<name>`)"
        )
    return f"{namespace}:{name}"


ENCRYPTED_MEMBERS = {"secrets": "*", "imagePull": "password"}
"""Members that must be ``secure:`` in the stack file, in the namespace the program reads: every
one of ``secrets``, and ``imagePull.password``. The CLI marks the whole key secret as soon as one member is
(docs/contracts.md PC-7), so the program cannot see a member added without ``--secret``: it
would sit in git in plain text, beside the encrypted ones."""


def _refuse_plain_text_beside_secrets(file: str, key: str, value: Any, namespace: str, project: str) -> None:
    owner, _, short = key.partition(":")
    member = ENCRYPTED_MEMBERS.get(short) if owner == namespace else None
    if member is None or not isinstance(value, dict):
        return
    set_as = short if namespace == project else key  # `pulumi config set` gives a bare key the project's namespace
    for name, item in value.items():
        if member not in ("*", name):
            continue
        if not (isinstance(item, dict) and len(item) == 1 and isinstance(item.get("secure"), str)):
            # Never the value: it is a secret, in plain text.
            raise ValueError(
                f"{file}: {key}.{name} is in plain text in the stack file, where only an encrypted value may be: "
                f"set it with `pulumi config set --secret --path {set_as}.{name} <value>`, and take the plain text "
                "out of the repository's history (it is a leaked secret now)"
            )


def _decrypt_offline(value: Any) -> tuple[Any, bool]:
    """``value`` with every ``secure:`` ciphertext (config/object.go l. 540-550: a mapping of the one
    key ``secure`` holding a string) replaced by a placeholder, since the stack's secrets provider
    is not here; and whether there was one (the whole key is then a secret)."""
    if isinstance(value, dict) and len(value) == 1 and isinstance(value.get("secure"), str):
        return OFFLINE_SECRET, True
    if isinstance(value, dict):
        members = {key: _decrypt_offline(item) for key, item in value.items()}
        return {key: item for key, (item, _) in members.items()}, any(s for _, s in members.values())
    if isinstance(value, list):
        items = [_decrypt_offline(item) for item in value]
        return [item for item, _ in items], any(s for _, s in items)
    return value, False


def _timestamps(value: Any, path: str = "") -> list[tuple[str, YamlTimestamp]]:
    if isinstance(value, YamlTimestamp):
        return [(path, value)]
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in _timestamps(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in _timestamps(item, f"{path}[{index}]")]
    return []


# The stack file is YAML as gopkg.in/yaml.v3 v3.0.1 reads it (pulumi/pulumi sdk/go.mod), not as
# PyYAML's YAML 1.1: `yes` and `on` are strings, `1e3` is a float, `1:30` is not 90, a timestamp
# becomes a Go time.Time, and a key twice in a mapping is an error. resolve.go l. 32-68, 124-326.

_PLAIN = "tag:gitlab-k8s-cd,2026:plain"
_RESOLVE_MAP: Mapping[str, Any] = {
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), None),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), float("nan")),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), float("inf")),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), float("-inf")),
}
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
# The layouts yaml.v3 tries (resolve.go l. 294-301), for Go's time.Parse: a 4-digit year, 1- or
# 2-digit fields, an optional fraction (any digits, "." or ","), and a zone only after T or t.
_TIMESTAMP = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})-(?P<day>[0-9]{1,2})"
    r"(?:(?:[Tt](?P<time>[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:[.,][0-9]+)?)(?P<zone>Z|[-+][0-9]{2}:[0-9]{2}))"
    r"| +(?P<local>[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:[.,][0-9]+)?))?"
)
_INT64, _UINT64 = 1 << 63, 1 << 64


class _StackFileLoader(yaml.SafeLoader):
    """PyYAML's parser with yaml.v3's resolution of plain scalars and its duplicate-key error."""

    def resolve(self, kind: Any, value: str, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode and implicit[0]:
            return "tag:yaml.org,2002:merge" if value == "<<" else _PLAIN
        return str(super().resolve(kind, value, implicit))

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        seen: dict[str, int] = {}
        for key_node, _ in node.value:  # decode.go l. 769-782
            if isinstance(key_node, yaml.ScalarNode):
                line = key_node.start_mark.line + 1
                if key_node.value in seen:
                    first = seen[key_node.value]
                    raise ValueError(f"line {line}: mapping key {key_node.value!r} already defined at line {first}")
                seen[key_node.value] = line
        return dict(super().construct_mapping(node, deep=deep))


_StackFileLoader.add_constructor(_PLAIN, lambda loader, node: go_yaml_scalar(node.value))


def read_yaml(path: Path) -> Any:
    """``path`` decoded as the Pulumi CLI decodes Pulumi.yaml and Pulumi.<stack>.yaml."""
    try:
        return yaml.load(path.read_text(), Loader=_StackFileLoader)  # a SafeLoader
    except ValueError as error:
        raise ValueError(f"{path.name}: {error}") from None


def go_yaml_scalar(text: str) -> Any:
    """A plain (unquoted, untagged) scalar as yaml.v3's ``resolve("", text)`` decodes it into an
    ``interface{}`` (resolve.go l. 126-265): None, a bool, an int, a float, a YamlTimestamp or the text."""
    hint = text[:1]
    if hint and hint not in "+-0123456789yYnNtTfFoO~.":
        return text
    if text in _RESOLVE_MAP:
        return _RESOLVE_MAP[text]
    if hint in "yYnNtTfFoO~":
        return text
    if hint == ".":
        number = _go_parse_float(text)
        return text if number is None else number
    timestamp = _go_timestamp(text)
    if timestamp is not None:
        return timestamp
    plain = text.replace("_", "")
    for parsed in (_go_parse_int(plain), _go_parse_uint(plain)):
        if parsed is not None:
            return parsed
    if _YAML_FLOAT.fullmatch(plain):
        number = _go_parse_float(plain)
        if number is not None:
            return number
    for prefix, base in (("0b", 2), ("0o", 8)):
        for sign in ("", "-"):
            if plain.startswith(sign + prefix):
                digits = sign + plain[len(sign + prefix) :]
                if re.fullmatch(r"[-+]?[0-7]+" if base == 8 else r"[-+]?[01]+", digits):
                    number = int(digits, base)
                    if -_INT64 <= number < (_INT64 if sign else _UINT64):
                        return number
    return text


def _go_parse_uint(text: str) -> int | None:
    """Go's ``strconv.ParseUint(text, 0, 64)``: a 0x, 0o or 0b prefix, or a leading 0 for octal."""
    base, digits = 10, text
    if text.startswith("0"):
        prefix = text[1:2].lower()
        if len(text) >= 3 and prefix in ("b", "o", "x"):
            base, digits = {"b": 2, "o": 8, "x": 16}[prefix], text[2:]
        else:
            base, digits = 8, text[1:]
    if not text or not re.fullmatch(r"[0-9a-fA-F]*", digits) or any(int(c, 16) >= base for c in digits):
        return None
    number = int(digits, base) if digits else 0
    return number if number < _UINT64 else None


def _go_parse_int(text: str) -> int | None:
    """Go's ``strconv.ParseInt(text, 0, 64)``: an optional sign, then as ParseUint, within int64."""
    negative = text.startswith("-")
    magnitude = _go_parse_uint(text[1:] if text[:1] in "+-" else text)
    if magnitude is None or magnitude > _INT64 or (magnitude == _INT64 and not negative):
        return None
    return -magnitude if negative else magnitude


def _go_parse_float(text: str) -> float | None:
    """Go's ``strconv.ParseFloat(text, 64)`` for the decimal forms yaml.v3 hands it; None where Go
    fails, an overflow to infinity included (ErrRange)."""
    if not re.fullmatch(r"[-+]?[0-9_]*\.?[0-9_]*([eE][-+]?[0-9]+)?", text):
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return None if number in (float("inf"), float("-inf")) else number


def _go_timestamp(text: str) -> YamlTimestamp | None:
    """yaml.v3's ``parseTimestamp`` (resolve.go l. 306-326), for Go's ``time.Parse`` range checks."""
    match = _TIMESTAMP.fullmatch(text)
    if not match:
        return None
    year, month, day = int(match["year"]), int(match["month"]), int(match["day"])
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    if not 1 <= month <= 12 or not 1 <= day <= days[month - 1]:
        return None
    clock = match["time"] or match["local"]
    hour = minute = second = nanosecond = 0
    if clock:
        hms, _, fraction = clock.replace(",", ".").partition(".")
        hour, minute, second = (int(part) for part in hms.split(":"))
        nanosecond = int(fraction[:9].ljust(9, "0")) if fraction else 0
        if hour >= 24 or minute >= 60 or second >= 60:
            return None
    offset = None
    zone = match["zone"]
    if zone and zone != "Z":
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if hours > 24 or minutes > 60:  # Go's range test uses > (time/format.go)
            return None
        offset = (hours * 60 + minutes) * (-1 if zone[0] == "-" else 1) or None
    return YamlTimestamp(text, year, month, day, hour, minute, second, nanosecond, offset)


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
