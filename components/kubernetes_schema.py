"""Strict validation of manifests against the Kubernetes OpenAPI schemas, offline.

Uses kubernetes-validate, which ships the schemas of every Kubernetes minor release it
supports. Strict mode refuses unknown fields, the mistake a typo in a component would make.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate


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
def supported_versions() -> tuple[str, ...]:
    """Kubernetes minor versions with a schema on disk, e.g. ``("1.25", ..., "1.37")``."""
    schemas = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    versions = {p.name[1:].removesuffix("-local-strict") for p in schemas.glob("v*-local-strict")}
    return tuple(sorted((v.rsplit(".", 1)[0] for v in versions), key=lambda v: tuple(map(int, v.split(".")))))


def validate_manifests(manifests: Iterable[Mapping[str, Any]], version: str) -> list[SchemaProblem]:
    """Every manifest's first schema violation for Kubernetes ``version`` (``"1.31"``); [] when all are valid."""
    if version not in supported_versions():
        raise ValueError(f"no schema for Kubernetes {version}; known: {', '.join(supported_versions())}")
    problems = []
    for manifest in manifests:
        try:
            kubernetes_validate.validate(dict(manifest), f"{version}.0", strict=True)
        except kubernetes_validate.ValidationError as error:
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
