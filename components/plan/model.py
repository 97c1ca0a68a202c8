"""The plan: what a program run registered (resources with their inputs, the stack's outputs, the
error if it failed), the questions a test asks of it, and its files (``Plan.write``)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .matching import mismatches
from .values import from_wire, redact, reveal


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


YAML_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
"""PyYAML's safe dumper on libyaml's emitter (in PyYAML's wheels), else its pure-Python one: a
twentieth of the time, the same values, and for a stack's plan the same text (a long
double-quoted string may fold differently; tests/test_plan_model.py compares them)."""

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
            "kubernetes.yaml": yaml.dump_all(self.manifests(), Dumper=YAML_DUMPER, sort_keys=False, width=120),
            "gitlab.yaml": yaml.dump(self.gitlab_resources(), Dumper=YAML_DUMPER, sort_keys=False, width=120),
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
                inputs=from_wire(r["inputs"]),
                options=r.get("options", {}),
                dependencies=tuple(r.get("dependencies", ())),
                property_dependencies={k: tuple(v) for k, v in r.get("property_dependencies", {}).items()},
            )
            for r in sorted(data["resources"], key=lambda r: r["urn"])
        )
        return cls(
            resources=resources,
            outputs=from_wire(data["outputs"]),
            error=data.get("error"),
            log=tuple(data.get("log", ())),
        )


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
