"""The bare-SDK baseline of P2's overhead figure: a recorded plan registered again with the Pulumi
SDK alone, none of this project's code (see bench/README.md).

:func:`write` (in the bench's process) turns a recorded :class:`Plan` into a replay file;
:func:`replay` (run under the same mock runtime with ``run_component``, env ``BENCH_REPLAY``)
registers every recorded resource in that order, with the same type, name, parent, provider,
inputs (a recorded secret as ``Output.secret``; an input the program computed from other resources
an ``Output`` of those resources, as the program's was), options and dependencies (as ``depends_on``),
through the SDK's own typed classes (``pulumi_kubernetes.core.v1.ConfigMap``,
``pulumi_gitlab.ProjectVariable``, ...), as a program written directly against the SDK would.
Components are plain ``pulumi.ComponentResource``s that register empty outputs.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import os
import re
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import rpc

_SECRET = "__bench_secret__"


def write(resources, path: Path) -> None:
    """Write ``resources`` (a Plan's) to ``path`` in an order the replay can register them in:
    each after its parent, its provider and what it depends on."""
    from gitlab_k8s_cd.components.testing import Secret

    def wire(value: Any) -> Any:
        if isinstance(value, Secret):
            return {_SECRET: wire(value.value)}
        if isinstance(value, dict):
            return {key: wire(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [wire(item) for item in value]
        return value

    by_urn = {resource.urn: resource for resource in resources}
    ordered: list[Any] = []
    placed: set[str] = set()

    def place(urn: str) -> None:
        if urn in placed or urn not in by_urn:  # the stack, or a provider's "urn::id" already cut
            return
        placed.add(urn)
        resource = by_urn[urn]
        for before in (resource.parent, _provider_urn(resource.provider), *resource.dependencies):
            if before:
                place(before)
        ordered.append(resource)

    for resource in resources:
        place(resource.urn)
    records = [
        {
            "urn": r.urn,
            "type": r.type,
            "name": r.name,
            "parent": r.parent,
            "custom": r.custom,
            "provider": _provider_urn(r.provider),
            "inputs": wire(r.inputs),
            "options": dict(r.options),
            "dependencies": list(r.dependencies),
            "property_dependencies": {key: list(urns) for key, urns in r.property_dependencies.items()},
        }
        for r in ordered
    ]
    path.write_text(json.dumps(records))


def _provider_urn(reference: str | None) -> str | None:
    """A provider reference is ``<urn>::<id>``; the URN is everything before the last ``::``."""
    return reference.rsplit("::", 1)[0] if reference else None


def sdk_class(type_: str) -> type:
    """The SDK's typed class for a type token, as the package registered it with the SDK (its
    generated ``_utilities.register``: the table the SDK rehydrates resource references with):
    ``kubernetes:rbac.authorization.k8s.io/v1:Role`` is ``pulumi_kubernetes.rbac.v1.Role``,
    ``pulumi:providers:gitlab`` is ``pulumi_gitlab.Provider``."""
    package, module, _ = type_.split(":")
    if package == "pulumi" and module == "providers":
        importlib.import_module(f"pulumi_{_}")
        info = rpc.get_resource_package(_, "").pkg_info  # type: ignore[union-attr]
        return getattr(importlib.import_module(info["fqn"]), info["class"])
    importlib.import_module(f"pulumi_{package}")
    info = rpc.get_resource_module(package, module, "").mod_info  # type: ignore[union-attr]
    return getattr(importlib.import_module(info["fqn"]), info["classes"][type_])


@functools.cache
def _keywords(cls: type) -> dict[str, str]:
    """The typed class's keyword for each input's wire (camelCase) name."""
    parameters = inspect.signature(cls._internal_init).parameters  # type: ignore[attr-defined]
    names = [name for name in parameters if name not in ("resource_name", "opts")]
    return {re.sub(r"_([a-z0-9])", lambda m: m[1].upper(), name): name for name in names}


def _inputs(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {_SECRET}:
            return pulumi.Output.secret(_inputs(value[_SECRET]))
        return {key: _inputs(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_inputs(item) for item in value]
    return value


_OPTIONS = {
    "deleteBeforeReplace": "delete_before_replace",
    "retainOnDelete": "retain_on_delete",
    "protect": "protect",
    "ignoreChanges": "ignore_changes",
    "replaceOnChanges": "replace_on_changes",
}


def replay() -> None:
    """Register the resources of the replay file ``BENCH_REPLAY`` names (a ``run_component`` target)."""
    records = json.loads(Path(os.environ["BENCH_REPLAY"]).read_text())
    created: dict[str, pulumi.Resource] = {}
    for record in records:
        options = pulumi.ResourceOptions(
            parent=created.get(record["parent"]) if record["parent"] else None,
            provider=created.get(record["provider"]) if record["provider"] else None,  # type: ignore[arg-type]
            depends_on=[created[urn] for urn in record["dependencies"]],
            **{_OPTIONS[key]: value for key, value in record["options"].items()},
        )
        if not record["custom"]:
            component = pulumi.ComponentResource(record["type"], record["name"], None, options)
            component.register_outputs({})
            created[record["urn"]] = component
            continue
        cls = sdk_class(record["type"])
        keywords = _keywords(cls)
        inputs = {}
        for key, value in record["inputs"].items():
            inputs[keywords[key]] = _inputs(value)
            if record["property_dependencies"].get(key):
                # An input the program computed from other resources' outputs is an Output of those
                # resources here too, so that the SDK waits for them and serializes it as it did.
                sources = [created[urn].urn for urn in record["property_dependencies"][key]]
                inputs[keywords[key]] = pulumi.Output.all(*sources).apply(lambda _, v=inputs[keywords[key]]: v)
        created[record["urn"]] = cls(record["name"], opts=options, **inputs)
