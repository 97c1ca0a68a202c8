"""The plan as a tree: every resource under its parent, with a short summary, secrets as ``[secret]``."""

from __future__ import annotations

from typing import Any

from .model import Plan, PlannedResource
from .values import Secret


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
