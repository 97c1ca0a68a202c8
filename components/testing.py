"""Run a Pulumi program (or one component) under Pulumi's mock runtime, and look at what it declared.

This is the plan harness the offline plan and every test are built on, offered as public API
so that other projects can test their own programs, in the spirit of AWS CDK's ``assertions``::

    plan = run_program("__main__.py", project="my-app", stack="dev", config={"my-app:image": "..."})
    deployment = plan.get("kubernetes:apps/v1:Deployment", "web-workload-deployment")
    assert deployment.inputs["spec"]["replicas"] == 2      # ints are ints, not 2.0
    plan.write("build/plan")                                # kubernetes.yaml + gitlab.yaml, secrets redacted

    plan = plan_stack(".", "staging", config={"replicas": 3})  # Pulumi.yaml + Pulumi.staging.yaml
    plan.has_resource_properties("Deployment", {"spec": {"replicas": 3}})  # partial, by kind or type
    plan.resource_count_is("kubernetes:core/v1:Service", 1)

Each run happens in a fresh Python process: the mock runtime is process-global state, and
pytest runs under mocks can hang (pulumi/pulumi#7663). The child process writes what the program
registered as JSON; this process reads it back into a :class:`Plan`.

What the mocks stand in for, because no provider runs (each value is deterministic, so that two
plans of the same program compare equal):

- an autonamed Kubernetes object gets ``<logical name>-<8 hex>``; the hex digits hash the
  inputs whose change makes the provider replace the object, so a replacement gets a new name,
  as it does for real;
- a ``kubernetes.io/service-account-token`` Secret gets a ``data.token``, as the token
  controller would give it;
- GitLab tokens get a ``token`` (and a deploy token a ``username``), a pipeline schedule its id,
  a ``random.RandomPassword`` a (secret) ``result``;
- the invokes this library makes (``gitlab.get_group``, ``gitlab.get_project``) get plausible
  answers. ``run_program(invokes=...)`` adds or overrides answers by invoke token.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .stack_file import OFFLINE_SECRET, YamlTimestamp, cli_config_value, stack_config

__all__ = [
    "OFFLINE_SECRET",
    "REPLACE_ON",
    "Match",
    "Plan",
    "PlannedResource",
    "ProgramError",
    "Secret",
    "YamlTimestamp",
    "cli_config_value",
    "mismatches",
    "plan_stack",
    "run_component",
    "run_program",
]

# Pulumi's marker for a secret value on the wire (sdk/python/lib/pulumi/runtime/rpc.py).
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_SECRET_TAG = "__secret__"

REPLACE_ON: Mapping[str, tuple[str, ...]] = {
    # Input paths whose change makes the provider replace a resource rather than update it
    # (docs/contracts.md PK-9, PG-4). "*" applies to every Kubernetes kind.
    # pulumi-kubernetes v4.32.0 provider/pkg/provider/diff.go l. 178-212 (matched by exact path):
    "kubernetes:*": ("metadata.name", "metadata.namespace"),
    "kubernetes:apps/v1:Deployment": ("spec.selector",),
    "kubernetes:apps/v1:StatefulSet": (
        "spec.podManagementPolicy",
        "spec.revisionHistoryLimit",
        "spec.selector",
        "spec.serviceName",
        "spec.volumeClaimTemplates",
    ),
    "kubernetes:apps/v1:DaemonSet": ("spec.selector",),
    "kubernetes:batch/v1:Job": ("spec.completions", "spec.parallelism", "spec.selector", "spec.template"),
    # diff.go l. 23-38: data changes replace unless enableConfigMapMutable / enableSecretMutable
    # (both default false, provider.go l. 696-726). This project's program sets enableSecretMutable
    # (docs/contracts.md PK-10), so its Secrets' data changes are updates; a plan redacts secret
    # data anyway, so no diff sees one. The entry holds for `type`, and for other programs.
    "kubernetes:core/v1:ConfigMap": ("data", "binaryData"),
    "kubernetes:core/v1:Secret": ("data", "stringData", "type"),
    "kubernetes:core/v1:Service": ("spec.clusterIP",),
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": ("roleRef",),
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": ("roleRef",),
    # terraform-provider-gitlab RequiresReplace, read in a fork of its Go source (docs/contracts.md
    # PG-4; `description` of the access token, and a variable's `environmentScope`, not verified):
    "gitlab:index/projectDeployToken:ProjectDeployToken": ("project", "name", "username", "scopes", "expiresAt"),
    "gitlab:index/projectAccessToken:ProjectAccessToken": ("project", "name", "scopes", "accessLevel", "description"),
    "gitlab:index/projectVariable:ProjectVariable": ("project", "key", "environmentScope", "hidden"),
    "gitlab:index/projectEnvironment:ProjectEnvironment": ("project", "name"),
    "gitlab:index/projectProtectedEnvironment:ProjectProtectedEnvironment": ("project", "environment"),
    # A Project's namespace change is a transfer, in place: nothing of it replaces the project.
    # With a cluster_identifier, only a change of it replaces the provider (pulumi-kubernetes ≥ 4.16).
    "pulumi:providers:kubernetes": ("clusterIdentifier",),
}


def replace_paths(type_: str) -> tuple[str, ...]:
    common = REPLACE_ON["kubernetes:*"] if type_.startswith("kubernetes:") else ()
    return common + REPLACE_ON.get(type_, ())


# --- values ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Secret:
    """A value the program marked secret. It prints as ``[secret]``; ``.value`` holds the text."""

    value: Any

    def __repr__(self) -> str:
        return "[secret]"


REDACTED = "[secret]"


def _walk(value: Any, *, secret: Any, leaf: Any = lambda item: item) -> Any:
    """Rebuild ``value``: ``secret(inner)`` for each :class:`Secret`, ``leaf(item)`` for each scalar."""
    if isinstance(value, Secret):
        return secret(value.value)
    if isinstance(value, dict):
        return {k: _walk(item, secret=secret, leaf=leaf) for k, item in value.items()}
    if isinstance(value, list):
        return [_walk(item, secret=secret, leaf=leaf) for item in value]
    return leaf(value)


def _redact_leaves(value: Any) -> Any:
    return _walk(value, secret=_redact_leaves, leaf=lambda _: REDACTED)


def redact(value: Any) -> Any:
    """``value`` with every secret's leaves replaced by ``[secret]``, keeping the shape
    (so a redacted Secret manifest still has ``stringData: {".dockerconfigjson": "[secret]"}``)."""
    return _walk(value, secret=_redact_leaves)


def reveal(value: Any) -> Any:
    """``value`` with every :class:`Secret` unwrapped: for assertions on secret contents."""
    return _walk(value, secret=reveal)


def contains_secret(value: Any) -> bool:
    """Whether ``value`` holds a :class:`Secret` anywhere."""
    found: list[Any] = []
    _walk(value, secret=found.append)
    return bool(found)


def _from_wire(value: Any) -> Any:
    """JSON from the child process back to Python: ``{"__secret__": v}`` becomes ``Secret(v)``."""
    if isinstance(value, dict):
        if set(value) == {_SECRET_TAG}:
            return Secret(_from_wire(value[_SECRET_TAG]))
        return {k: _from_wire(item) for k, item in value.items()}
    if isinstance(value, list):
        return [_from_wire(item) for item in value]
    return value


def _to_wire(value: Any) -> Any:
    """Mock-runtime values to JSON: secret envelopes tagged, integral floats back to ints."""
    if isinstance(value, dict):
        if value.get(_SIG_KEY) == _SECRET_SIG:
            return {_SECRET_TAG: _to_wire(value.get("value"))}
        return {str(k): _to_wire(item) for k, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_wire(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _sorted(value: Any) -> Any:
    """Mappings with their keys sorted, all the way down: inputs come through protobuf
    Structs, whose key order is arbitrary, and a plan must be byte-for-byte repeatable."""
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


def _leading(mapping: dict[str, Any], first: Sequence[str]) -> dict[str, Any]:
    head = {key: mapping[key] for key in first if key in mapping}
    return {**head, **{key: item for key, item in mapping.items() if key not in head}}


def get_path(value: Any, path: str) -> Any:
    """``get_path(inputs, "spec.selector")``; None where the path does not exist."""
    for part in path.split("."):
        if isinstance(value, Secret):
            value = value.value
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


# --- assertions ------------------------------------------------------------------------------
# Partial matching of a resource's inputs, in the style of AWS CDK's Template.hasResourceProperties.
# The rules (Plan.has_resource_properties documents them for users):
# - a mapping matches a mapping holding each of its keys, whose values match (other keys are ignored);
# - a list matches a list of the same length whose elements match, in order;
# - any other value matches an equal value of the same kind (True is not 1);
# - a Match pattern matches as it says.


@dataclass(frozen=True)
class _Pattern:
    kind: str
    value: Any = None

    def __repr__(self) -> str:
        shown = "" if self.kind in ("absent", "any_value") else repr(self.value)
        return f"Match.{self.kind}({shown})"


class Match:
    """Patterns for :meth:`Plan.has_resource_properties`, where a plain value is not enough."""

    @staticmethod
    def array_with(items: Sequence[Any]) -> Any:
        """A list holding elements that match ``items``, in that order, maybe with others between."""
        return _Pattern("array_with", list(items))

    @staticmethod
    def exact(value: Any) -> Any:
        """``value`` with no partial matching inside it: each mapping must have exactly its keys."""
        return _Pattern("exact", value)

    @staticmethod
    def absent() -> Any:
        """As the value of a key: the key is not there (or is None)."""
        return _Pattern("absent")

    @staticmethod
    def any_value() -> Any:
        """Anything but None: the key is there."""
        return _Pattern("any_value")


def _shown(value: Any, hidden: bool) -> str:
    """``value`` for a failure message: a secret's leaves as ``[secret]``, long values cut."""
    text = repr(_redact_leaves(value) if hidden else redact(value))
    return text if len(text) <= 100 else text[:97] + "..."


def _at(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if isinstance(key, str) and key and all(c.isalnum() or c in "_-/" for c in key):
        return f"{path}.{key}" if path else key
    return f"{path}[{key!r}]"


def mismatches(actual: Any, expected: Any, *, reveal: bool = False) -> list[str]:
    """Where ``actual`` (inputs as planned, with :class:`Secret` values) fails to match ``expected``,
    as ``"path: expected ..., got ..."`` lines; empty when it matches. Without ``reveal``, a secret
    is matched as redacted (each of its leaves is ``"[secret]"``). A message never shows a secret."""
    return _diff(actual, expected, "", reveal=reveal, partial=True, hidden=False)


def _diff(actual: Any, expected: Any, path: str, *, reveal: bool, partial: bool, hidden: bool) -> list[str]:
    where = path or "(the inputs)"
    if isinstance(actual, Secret):
        inner = actual.value if reveal else _redact_leaves(actual.value)
        return _diff(inner, expected, path, reveal=reveal, partial=partial, hidden=True)
    if isinstance(expected, _Pattern):
        if expected.kind == "exact":
            return _diff(actual, expected.value, path, reveal=reveal, partial=False, hidden=hidden)
        if expected.kind == "any_value":
            return [] if actual is not None else [f"{where}: expected any value, got None"]
        if expected.kind == "absent":
            return [] if actual is None else [f"{where}: expected absent, got {_shown(actual, hidden)}"]
        return _diff_array_with(actual, expected.value, path, reveal=reveal, hidden=hidden)
    if isinstance(expected, Mapping):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {_shown(actual, hidden)}"]
        found = []
        for key, item in expected.items():
            inner = _at(path, key)
            if key not in actual and not (isinstance(item, _Pattern) and item.kind == "absent"):
                found.append(f"{inner}: missing (expected {item!r})")
            else:
                found += _diff(actual.get(key), item, inner, reveal=reveal, partial=partial, hidden=hidden)
        if not partial:
            found += [
                f"{_at(path, key)}: unexpected key (got {_shown(actual[key], hidden)})"
                for key in actual
                if key not in expected
            ]
        return found
    if isinstance(expected, (list, tuple)):
        if not isinstance(actual, list):
            return [f"{where}: expected a list, got {_shown(actual, hidden)}"]
        if len(actual) != len(expected):
            return [f"{where}: expected {len(expected)} elements, got {len(actual)}: {_shown(actual, hidden)}"]
        return [
            line
            for index, (got, want) in enumerate(zip(actual, expected, strict=True))
            for line in _diff(got, want, _at(path, index), reveal=reveal, partial=partial, hidden=hidden)
        ]
    same_kind = isinstance(actual, bool) == isinstance(expected, bool)
    if same_kind and actual == expected and not isinstance(actual, (dict, list)):
        return []
    return [f"{where}: expected {expected!r}, got {_shown(actual, hidden)}"]


def _diff_array_with(actual: Any, items: list[Any], path: str, *, reveal: bool, hidden: bool) -> list[str]:
    where = path or "(the inputs)"
    if not isinstance(actual, list):
        return [f"{where}: expected a list, got {_shown(actual, hidden)}"]
    start = 0
    for number, item in enumerate(items):
        diffs = [
            _diff(element, item, _at(path, index), reveal=reveal, partial=True, hidden=hidden)
            for index, element in enumerate(actual[start:], start)
        ]
        matched = next((index for index, diff in enumerate(diffs, start) if not diff), None)
        if matched is None:
            head = f"{where}: no element{' after ' + _at(path, start - 1) if start else ''} matches item {number} of"
            head += f" Match.array_with ({item!r})"
            if not diffs:
                return [head]
            closest = min(diffs, key=len)
            return [f"{head}; the closest differs at:", *(f"  {line}" for line in closest)]
        start = matched + 1
    return []


# --- the plan --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedResource:
    """One resource the program registered, with its inputs as the provider would get them."""

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    provider: str | None
    inputs: dict[str, Any]
    options: Mapping[str, Any] = field(default_factory=dict)
    """The resource options the engine would act on, as registered: ``deleteBeforeReplace``,
    ``retainOnDelete``, ``protect``, ``ignoreChanges``, ``replaceOnChanges`` (only those set)."""
    dependencies: tuple[str, ...] = ()
    """The URNs the resource waits for (``depends_on``, and the resources its inputs come from), as
    registered: the engine creates or updates it only after them."""
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Per input (top-level, camelCase), the URNs its value comes from. A ``depends_on`` alone
    is in :attr:`dependencies` and in no input's."""

    @property
    def is_kubernetes(self) -> bool:
        return self.custom and self.type.startswith("kubernetes:") and "apiVersion" in self.inputs

    @property
    def is_gitlab(self) -> bool:
        return self.type.startswith("gitlab:") or self.type == "pulumi:providers:gitlab"

    def manifest(self, *, redacted: bool = True) -> dict[str, Any]:
        """The Kubernetes object: apiVersion, kind, metadata, then the rest, keys sorted."""
        if not self.is_kubernetes:
            raise ValueError(f"{self.type} {self.name} is not a Kubernetes object")
        body = _sorted(redact(self.inputs) if redacted else reveal(self.inputs))
        metadata = body.get("metadata") or {}
        body["metadata"] = _leading(metadata, ("name", "namespace"))
        return _leading(body, ("apiVersion", "kind", "metadata"))


class ProgramError(Exception):
    """The program raised. ``type`` is the exception's qualified class name."""

    def __init__(self, type_: str, message: str, plan: Plan) -> None:
        self.type = type_
        self.message = message
        self.plan = plan
        super().__init__(f"{type_}: {message}")


# Kinds in the order they are applied (Helm's install order), for a stable kubernetes.yaml.
KIND_ORDER = (
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "PersistentVolumeClaim",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "Ingress",
)


@dataclass(frozen=True)
class Plan:
    """Everything a program run registered: resources, stack outputs and, if it failed, the error."""

    resources: tuple[PlannedResource, ...]
    outputs: dict[str, Any]
    error: dict[str, str] | None = None
    log: tuple[str, ...] = ()

    def find(self, type_: str | None = None, name: str | None = None) -> list[PlannedResource]:
        """Resources of ``type_`` (a full token, e.g. ``kubernetes:apps/v1:Deployment``) and/or
        with logical ``name``, in URN order."""
        return [r for r in self.resources if (type_ is None or r.type == type_) and (name is None or r.name == name)]

    def get(self, type_: str, name: str | None = None) -> PlannedResource:
        """The one resource of ``type_`` (and ``name``); an AssertionError listing what exists otherwise."""
        found = self.find(type_, name)
        if len(found) != 1:
            names = ", ".join(r.name for r in self.find(type_)) or "none"
            raise AssertionError(
                f"expected one {type_} named {name!r}, found {len(found)} (names of that type: {names})"
            )
        return found[0]

    def kind(self, kind: str) -> list[PlannedResource]:
        """Kubernetes objects of ``kind`` (e.g. ``Deployment``)."""
        return [r for r in self.resources if r.is_kubernetes and r.inputs.get("kind") == kind]

    def of(self, type_or_kind: str) -> list[PlannedResource]:
        """Resources of a Pulumi type token (``kubernetes:apps/v1:Deployment``: it has a colon) or
        Kubernetes objects of a kind (``Deployment``), in URN order."""
        return self.find(type_or_kind) if ":" in type_or_kind else self.kind(type_or_kind)

    def has_resource_properties(
        self, type_or_kind: str, properties: Mapping[str, Any], *, reveal: bool = False
    ) -> list[PlannedResource]:
        """Assert that some resource of ``type_or_kind`` (see :meth:`of`) has inputs matching
        ``properties``; return those that do. The inputs are matched as planned: camelCase, as in
        the written manifests (``{"spec": {"template": {"spec": {"serviceAccountName": ...}}}}``).

        Matching: a mapping matches a mapping that has each of its keys with a matching value
        (other keys are ignored, at every depth); a list matches a list of the same length, element
        by element; any other value matches an equal one of the same kind (``True`` is not ``1``,
        ``"3"`` is not ``3``). :class:`Match` has the other patterns: ``array_with``, ``exact``,
        ``absent``, ``any_value``. A secret matches as redacted, each of its leaves ``"[secret]"``,
        unless ``reveal``; a failure message never shows a secret's value.

        The AssertionError names the closest candidate (fewest differences) and each path where it differs.
        """
        candidates = self.of(type_or_kind)
        if not candidates:
            raise AssertionError(self._none_of(type_or_kind))
        diffs = [(resource, mismatches(resource.inputs, properties, reveal=reveal)) for resource in candidates]
        matched = [resource for resource, diff in diffs if not diff]
        if matched:
            return matched
        closest, differences = min(diffs, key=lambda pair: len(pair[1]))
        lines = "\n".join(f"  {line}" for line in differences)
        raise AssertionError(
            f"no {type_or_kind} has properties {properties!r}: {len(candidates)} of that "
            f"{'type' if ':' in type_or_kind else 'kind'}; the closest, {closest.name} ({closest.type}), differs at\n"
            f"{lines}"
        )

    def resource_count_is(
        self, type_or_kind: str, count: int, properties: Mapping[str, Any] | None = None, *, reveal: bool = False
    ) -> None:
        """Assert that the plan has ``count`` resources of ``type_or_kind`` (see :meth:`of`), or of
        them ``count`` with inputs matching ``properties`` (as :meth:`has_resource_properties` matches)."""
        found = [
            resource
            for resource in self.of(type_or_kind)
            if properties is None or not mismatches(resource.inputs, properties, reveal=reveal)
        ]
        if len(found) != count:
            matching = "" if properties is None else f" with properties {properties!r}"
            names = ", ".join(resource.name for resource in found) or "none"
            raise AssertionError(f"expected {count} {type_or_kind}{matching}, found {len(found)}: {names}")

    def _none_of(self, type_or_kind: str) -> str:
        if ":" in type_or_kind:
            present = sorted({resource.type for resource in self.resources})
            return f"no resource of type {type_or_kind} in the plan; its types: {', '.join(present) or 'none'}"
        present = sorted({str(resource.inputs.get("kind")) for resource in self.resources if resource.is_kubernetes})
        return f"no Kubernetes {type_or_kind} in the plan; its kinds: {', '.join(present) or 'none'}"

    def children(self, parent: PlannedResource) -> list[PlannedResource]:
        return [r for r in self.resources if r.parent == parent.urn]

    def descendants(self, ancestor: PlannedResource) -> list[PlannedResource]:
        """Every resource under ``ancestor``: its children, theirs, and so on."""
        found, frontier = [], [ancestor]
        while frontier:
            children = [child for parent in frontier for child in self.children(parent)]
            found += children
            frontier = children
        return found

    def manifests(self, *, redacted: bool = True) -> list[dict[str, Any]]:
        """Every Kubernetes object, in apply order, then by namespace and name."""
        objects = [r.manifest(redacted=redacted) for r in self.resources if r.is_kubernetes]

        def order(obj: dict[str, Any]) -> tuple[int, str, str]:
            kind = obj.get("kind", "")
            rank = KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)
            meta = obj.get("metadata") or {}
            return rank, str(meta.get("namespace") or ""), str(meta.get("name") or "")

        return sorted(objects, key=order)

    def gitlab_resources(self) -> list[dict[str, Any]]:
        """Every GitLab resource (and the GitLab provider): type, name and redacted inputs."""
        return [
            {"type": r.type, "name": r.name, "inputs": _sorted(redact(r.inputs))}
            for r in sorted(self.resources, key=lambda r: (r.type, r.name))
            if r.is_gitlab
        ]

    def resource_table(self) -> list[dict[str, Any]]:
        """Every resource with its URN and redacted inputs: what ``--compare`` reads back."""
        return [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "parent": r.parent,
                "custom": r.custom,
                "inputs": redact(r.inputs),
            }
            for r in self.resources
        ]

    def write(self, out_dir: str | os.PathLike[str]) -> list[Path]:
        """Write ``kubernetes.yaml``, ``gitlab.yaml``, ``resources.json`` and ``outputs.json`` (the
        stack's outputs) to ``out_dir``, secrets redacted."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        files = {
            "kubernetes.yaml": yaml.safe_dump_all(self.manifests(), sort_keys=False, width=120),
            "gitlab.yaml": yaml.safe_dump(self.gitlab_resources(), sort_keys=False, width=120),
            "resources.json": json.dumps(self.resource_table(), indent=1, sort_keys=True) + "\n",
            "outputs.json": json.dumps(redact(self.outputs), indent=1, sort_keys=True) + "\n",
        }
        for name, text in files.items():
            (out / name).write_text(text)
        return [out / name for name in files]

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Plan:
        resources = tuple(
            PlannedResource(
                urn=r["urn"],
                type=r["type"],
                name=r["name"],
                parent=r["parent"] or None,
                custom=r["custom"],
                provider=r["provider"] or None,
                inputs=_from_wire(r["inputs"]),
                options=r.get("options", {}),
                dependencies=tuple(r.get("dependencies", ())),
                property_dependencies={k: tuple(v) for k, v in r.get("property_dependencies", {}).items()},
            )
            for r in sorted(data["resources"], key=lambda r: r["urn"])
        )
        return cls(
            resources=resources,
            outputs=_from_wire(data["outputs"]),
            error=data.get("error"),
            log=tuple(data.get("log", ())),
        )


# --- running ---------------------------------------------------------------------------------


def run_program(
    program: str | os.PathLike[str],
    *,
    project: str,
    stack: str,
    config: Mapping[str, Any] | None = None,
    secret_keys: Sequence[str] = (),
    invokes: Mapping[str, Mapping[str, Any]] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
    check: bool = True,
) -> Plan:
    """Run ``program`` (a ``__main__.py``) for ``project``/``stack`` under mocks, in a new process.

    ``config`` maps full keys (``"my-app:replicas"``) to values; objects and lists are passed
    as JSON and scalars as strings, as the Pulumi CLI does. ``secret_keys`` are the keys
    ``pulumi config set --secret`` would have set. With ``check`` (the default), a program
    that raises makes this raise :class:`ProgramError`; otherwise the error is in ``plan.error``.
    """
    path = Path(program).resolve()
    return _run({"program": str(path)}, path.parent, project, stack, config, secret_keys, invokes, env, timeout, check)


def run_component(
    target: str,
    *,
    project: str = "test",
    stack: str = "test",
    config: Mapping[str, Any] | None = None,
    secret_keys: Sequence[str] = (),
    invokes: Mapping[str, Mapping[str, Any]] | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float = 120,
    check: bool = True,
) -> Plan:
    """Call ``target`` (``"package.module:function"``, importable from ``cwd``) under mocks, in a
    new process. The function builds the component(s) to test and may ``pulumi.export``."""
    return _run(
        {"target": target},
        Path(cwd or os.getcwd()).resolve(),
        project,
        stack,
        config,
        secret_keys,
        invokes,
        env,
        timeout,
        check,
    )


def plan_stack(
    project_dir: str | os.PathLike[str],
    stack: str,
    *,
    config: Mapping[str, Any] | None = None,
    secrets: Mapping[str, Any] | None = None,
    program: str | os.PathLike[str] = "__main__.py",
    invokes: Mapping[str, Mapping[str, Any]] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
    check: bool = True,
) -> Plan:
    """Run the project's program for ``stack`` under mocks, with the config of its stack file
    ``Pulumi.<stack>.yaml``, read as the offline plan command and the Pulumi CLI read it
    (docs/contracts.md PC-8). The project name is ``Pulumi.yaml``'s ``name``, so that
    ``pulumi.get_project()`` and ``pulumi.Config()`` read what they read under the CLI.

    ``config`` overrides or adds values (``{"replicas": 3}``; a key without a namespace is the
    project's), handed over as values of the stack file are. ``secrets`` does the same for keys set
    with ``--secret``. A value the stack file holds encrypted (``secure:``) cannot be decrypted
    here: the program gets the placeholder secret :data:`OFFLINE_SECRET` (as a secret, as the CLI
    marks it) unless ``config`` or ``secrets`` gives the key a value, which then stays a secret.
    ``program`` is relative to ``project_dir``. ValueError for a stack file the CLI would not load.
    """
    directory = Path(project_dir).resolve()
    read = stack_config(directory, stack, dict(config or {}), secrets=secrets, environ={**os.environ, **(env or {})})
    return run_program(
        directory / program,
        project=read.project,
        stack=stack,
        config=read.config,
        secret_keys=read.secret_keys,
        invokes=invokes,
        env=env,
        timeout=timeout,
        check=check,
    )


def _run(
    what: dict[str, str],
    cwd: Path,
    project: str,
    stack: str,
    config: Mapping[str, Any] | None,
    secret_keys: Sequence[str],
    invokes: Mapping[str, Mapping[str, Any]] | None,
    env: Mapping[str, str] | None,
    timeout: float,
    check: bool,
) -> Plan:
    request = {
        **what,
        "cwd": str(cwd),
        "project": project,
        "stack": stack,
        "config": {key: cli_config_value(value) for key, value in (config or {}).items()},
        "secret_keys": list(secret_keys),
        "invokes": dict(invokes or {}),
    }
    with tempfile.TemporaryDirectory(prefix="plan-") as tmp:
        request_file, result_file = Path(tmp, "request.json"), Path(tmp, "result.json")
        request_file.write_text(json.dumps(request))
        child_env = {**os.environ, **(env or {})}
        # The child must import this very package, wherever the caller's cwd is.
        child_env["PYTHONPATH"] = os.pathsep.join(
            [str(Path(__file__).resolve().parent.parent), str(cwd), child_env.get("PYTHONPATH", "")]
        ).rstrip(os.pathsep)
        completed = subprocess.run(
            [sys.executable, "-m", "gitlab_k8s_cd.components.testing", str(request_file), str(result_file)],
            cwd=cwd,
            env=child_env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if not result_file.exists():
            raise RuntimeError(
                f"the mock runtime process died (exit {completed.returncode}) before writing a result:\n"
                f"{completed.stderr[-4000:]}"
            )
        plan = Plan.from_wire(json.loads(result_file.read_text()))
    if check and plan.error is not None:
        raise ProgramError(plan.error["type"], plan.error["message"], plan)
    return plan


# --- the child process -----------------------------------------------------------------------


def _stand_in(label: str) -> str:
    """A deterministic, maskable stand-in for a value only a real provider could produce."""
    return "offline-plan-" + hashlib.sha256(label.encode()).hexdigest()[:24]


DEFAULT_INVOKES: Mapping[str, Mapping[str, Any]] = {
    "gitlab:index/getGroup:getGroup": {"id": "4242", "groupId": 4242},
    "gitlab:index/getProject:getProject": {"id": "4343"},
}


def _computed_state(type_: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """What the provider would add to ``inputs`` on create (see the module docstring)."""
    state = dict(inputs)
    if type_.startswith("kubernetes:") and "apiVersion" in inputs:
        metadata = dict(state.get("metadata") or {})
        if not metadata.get("name"):
            relevant = {path: get_path(inputs, path) for path in replace_paths(type_) if path != "metadata.name"}
            digest = hashlib.sha256(json.dumps([name, relevant], sort_keys=True, default=str).encode()).hexdigest()
            metadata["name"] = f"{name}-{digest[:8]}"
        state["metadata"] = metadata
        if inputs.get("type") == "kubernetes.io/service-account-token":
            token = base64.b64encode(_stand_in(f"token:{name}").encode()).decode()
            state["data"] = {_SIG_KEY: _SECRET_SIG, "value": {"token": token}}
    elif type_ == "gitlab:index/projectDeployToken:ProjectDeployToken":
        state.setdefault("username", "gitlab+deploy-token-offline-plan")
        state["token"] = {_SIG_KEY: _SECRET_SIG, "value": _stand_in(f"deploy-token:{name}")}
    elif type_ == "gitlab:index/pipelineSchedule:PipelineSchedule":
        state.setdefault("pipelineScheduleId", 4444)
    elif type_ == "random:index/randomPassword:RandomPassword":
        state["result"] = {_SIG_KEY: _SECRET_SIG, "value": _stand_in(f"password:{name}")}
    elif type_ == "gitlab:index/projectAccessToken:ProjectAccessToken":
        state["token"] = {_SIG_KEY: _SECRET_SIG, "value": "glpat-" + _stand_in(f"access-token:{name}")}
    return state


def _child(request_file: str, result_file: str) -> int:  # pragma: no cover - runs in the child
    import logging
    import runpy
    import threading
    import traceback

    import pulumi
    from pulumi.runtime import mocks as pulumi_mocks
    from pulumi.runtime.settings import get_root_resource
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    request = json.loads(Path(request_file).read_text())
    invokes = {**DEFAULT_INVOKES, **request["invokes"]}
    registered: list[dict[str, Any]] = []
    log: list[str] = []

    class PlanMocks(pulumi.runtime.Mocks):
        def __init__(self) -> None:
            self.current = threading.local()  # RegisterResource runs on executor threads

        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
            state = _computed_state(args.typ, args.name, args.inputs)
            inputs = args.inputs  # deserialized by MockMonitor: secrets stay in their envelope
            if isinstance(inputs.get("metadata"), dict) and not inputs["metadata"].get("name"):
                # pulumi-kubernetes autonames in Check, so the name is part of the planned inputs.
                inputs = {**inputs, "metadata": {**inputs["metadata"], "name": state["metadata"]["name"]}}
            self.current.inputs = inputs
            return f"{args.name}-id", state

        def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
            answer = invokes.get(args.token)
            if answer is None:
                raise NotImplementedError(f"no mock answer for invoke {args.token}; pass run_program(invokes=...)")
            return {**args.args, **answer}

    class RecordingMonitor(pulumi_mocks.MockMonitor):
        """MockMonitor that also records each registration's URN, parent and provider."""

        def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
            response = super().RegisterResource(request)
            if request.type != "pulumi:pulumi:Stack":
                registered.append(
                    {
                        "urn": response.urn,
                        "type": request.type,
                        "name": request.name,
                        "parent": None if _is_stack(request.parent) else request.parent,
                        "custom": bool(request.custom),
                        "provider": request.provider or None,
                        "inputs": _to_wire(mocks.current.inputs),
                        "options": _options(request),
                        "dependencies": sorted(request.dependencies),
                        "property_dependencies": {
                            key: sorted(deps.urns) for key, deps in sorted(request.propertyDependencies.items())
                        },
                    }
                )
            return response

    class LogCollector(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            log.append(record.getMessage())

    logger = logging.getLogger("gitlab-k8s-cd.plan")
    logger.addHandler(LogCollector())
    logger.setLevel(logging.INFO)  # what pulumi.log.info/warn/error would show a user; not debug
    pulumi.runtime.set_all_config(request["config"], request["secret_keys"])
    mocks = PlanMocks()
    pulumi.runtime.set_mocks(
        mocks,
        project=request["project"],
        stack=request["stack"],
        preview=False,
        logger=logger,
        monitor=RecordingMonitor(mocks),
    )
    sys.path.insert(0, request["cwd"])

    def program() -> None:
        if "program" in request:
            runpy.run_path(request["program"], run_name="__main__")
        else:
            module_name, _, function = request["target"].partition(":")
            getattr(__import__(module_name, fromlist=[function]), function)()

    error = None
    try:
        _sync_await(run_pulumi_func(program))
    except Exception as exc:
        error = {
            "type": f"{type(exc).__module__}.{type(exc).__qualname__}",
            "message": str(exc),
            "traceback": traceback.format_exc(),
        }

    outputs: dict[str, Any] = {}
    root = get_root_resource()
    for key, value in (getattr(root, "outputs", None) or {}).items():
        output = pulumi.Output.from_input(value)
        try:
            resolved = _sync_await(output.future())
            secret = _sync_await(output.is_secret())
        except Exception as exc:  # reported to the parent process
            error = error or {
                "type": f"{type(exc).__module__}.{type(exc).__qualname__}",
                "message": f"stack output {key!r}: {exc}",
                "traceback": traceback.format_exc(),
            }
            continue
        outputs[key] = {_SECRET_TAG: resolved} if secret else resolved
    Path(result_file).write_text(
        json.dumps({"resources": registered, "outputs": _to_wire(outputs), "error": error, "log": log}, default=str)
    )
    return 0


def _options(request: Any) -> dict[str, Any]:
    """The options of a RegisterResourceRequest that change what the engine does on replace or
    delete, only those set (a create-before-delete replacement is the engine's default)."""
    options = {
        "deleteBeforeReplace": bool(request.deleteBeforeReplace),
        "retainOnDelete": bool(request.retainOnDelete),
        "protect": bool(request.protect),
        "ignoreChanges": sorted(request.ignoreChanges),
        "replaceOnChanges": sorted(request.replaceOnChanges),
    }
    return {key: value for key, value in options.items() if value}


def _is_stack(urn: str) -> bool:
    """Whether ``urn`` is the root stack's (its type chain ends in ``pulumi:pulumi:Stack``)."""
    return not urn or urn.split("::")[2].split("$")[-1] == "pulumi:pulumi:Stack"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_child(sys.argv[1], sys.argv[2]))
