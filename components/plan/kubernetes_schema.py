"""Strict validation of manifests against the Kubernetes OpenAPI schemas, offline.

Uses the schemas kubernetes-validate ships for every Kubernetes minor release it supports, and
validates as its ``validate(manifest, version, strict=True)`` does (a Draft 2020-12 validator of the
kind's strict schema, whose references resolve in ``_definitions.json``; tests/test_kubernetes_schema.py
checks that the problems found are the same). Strict mode refuses unknown fields, the mistake a typo
in a component would make. Unlike ``validate``, which reads the 1.3 MB ``_definitions.json`` again
for every manifest (most of a plan's validation time), each schema is read once per process, and
only the kinds present are: the plan command loads the definitions (:func:`preload`) while its
program runs.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class SchemaProblem:
    kind: str
    namespace: str
    name: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {where}: {self.field or '(object)'}: {self.message}"


@cache
def _schema_dirs() -> dict[str, Path]:
    """Each supported minor version's strict schema directory, the latest patch release of it (as
    kubernetes-validate picks). Found without importing kubernetes-validate, which imports jsonschema:
    the plan command's argument parser lists the versions before anything else is needed."""
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("kubernetes-validate is not installed: pip install gitlab-k8s-cd[plan]")
    dirs: dict[str, tuple[tuple[int, ...], Path]] = {}
    for path in (Path(spec.origin).parent / "kubernetes-json-schema").glob("v*-local-strict"):
        release = path.name[1:].removesuffix("-local-strict")
        number = tuple(map(int, release.split(".")))
        minor = release.rsplit(".", 1)[0]
        if minor not in dirs or dirs[minor][0] < number:
            dirs[minor] = (number, path)
    return {minor: path for minor, (_, path) in dirs.items()}


def supported_versions() -> tuple[str, ...]:
    """Kubernetes minor versions with a schema on disk, e.g. ``("1.25", ..., "1.37")``."""
    return tuple(sorted(_schema_dirs(), key=lambda v: tuple(map(int, v.split(".")))))


def preload(version: str) -> None:
    """Load what validating for ``version`` needs whatever the kinds: the validator's modules and the
    shared definitions (what the plan command does while its program runs)."""
    import jsonschema.validators  # noqa: F401 - imported now, not on the first manifest

    _definitions(version)


@cache
def _definitions(version: str) -> Any:
    from referencing import Resource  # with jsonschema, about 0.1 s to import: only when validating

    return Resource.from_contents(json.loads((_schema_dirs()[version] / "_definitions.json").read_text()))


@cache
def _validator(version: str, kind: str, api_version: str) -> Any:
    """The validator of one kind, or None when kubernetes-validate has no schema for it."""
    import jsonschema
    from referencing import Registry, Resource

    # As kubernetes-validate names the file: rbac.authorization.k8s.io/v1 -> rbac-v1.
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    path = _schema_dirs()[version] / f"{kind.lower()}-{group_version}.json"
    if not path.is_file():
        return None
    schema = json.loads(path.read_text())
    registry = _definitions(version) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


def validate_manifests(manifests: Iterable[Mapping[str, Any]], version: str) -> list[SchemaProblem]:
    """Every manifest's first schema violation for Kubernetes ``version`` (``"1.31"``); [] when all are valid."""
    if version not in supported_versions():
        raise ValueError(f"no schema for Kubernetes {version}; known: {', '.join(supported_versions())}")
    import jsonschema

    problems = []
    for manifest in manifests:
        validator = _validator(version, str(manifest["kind"]), str(manifest["apiVersion"]))
        if validator is None:
            import kubernetes_validate

            # Raises kubernetes-validate's SchemaNotFoundError, naming the kind and version.
            kubernetes_validate.validate(dict(manifest), f"{version}.0", strict=True)
        try:
            validator.validate(dict(manifest))
        except jsonschema.ValidationError as error:
            metadata = manifest.get("metadata") or {}
            problems.append(
                SchemaProblem(
                    kind=str(manifest.get("kind")),
                    namespace=str(metadata.get("namespace") or ""),
                    name=str(metadata.get("name") or ""),
                    field=_field_path(error.absolute_path),
                    message=error.message,
                )
            )
    return problems


def _field_path(parts: Iterable[Any]) -> str:
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path
