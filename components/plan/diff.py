"""The offline diff: which resources a plan would create, update, replace or delete,
compared with an earlier plan. This is what a merge request's reviewer reads.

Resources are matched by URN, as the Pulumi engine matches them. A changed input is an update,
unless the provider replaces the resource when that input changes (see
:data:`.replacement.REPLACE_ON`). Secret values are redacted in a plan, so a change of a
secret alone is not seen here; ``pulumi preview`` sees it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .replacement import replace_paths

SYMBOLS = {"create": "+", "update": "~", "replace": "+-", "delete": "-"}


@dataclass(frozen=True)
class Change:
    action: str
    """create, update, replace or delete."""
    type: str
    name: str
    urn: str
    fields: tuple[str, ...] = ()
    """The input paths that differ (for update and replace)."""
    replaced_by: tuple[str, ...] = ()
    """The differing paths that force the replacement."""

    def __str__(self) -> str:
        detail = f"  ({', '.join(self.fields)})" if self.fields else ""
        return f"  {SYMBOLS[self.action]:>2} {self.action:<8}{self.type}  {self.name}{detail}"


@dataclass(frozen=True)
class Comparison:
    changes: tuple[Change, ...]
    unchanged: int

    def of(self, action: str) -> list[Change]:
        return [c for c in self.changes if c.action == action]

    def summary(self) -> str:
        parts = [f"{len(self.of(a))} to {a}" for a in ("create", "update", "replace", "delete")]
        return ", ".join(parts) + f", {self.unchanged} unchanged"

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": {a: len(self.of(a)) for a in SYMBOLS} | {"unchanged": self.unchanged},
            "changes": [
                {
                    "action": c.action,
                    "type": c.type,
                    "name": c.name,
                    "urn": c.urn,
                    "fields": list(c.fields),
                    "replaced_by": list(c.replaced_by),
                }
                for c in self.changes
            ],
        }


def compare(before: Sequence[Mapping[str, Any]], after: Sequence[Mapping[str, Any]]) -> Comparison:
    """Compare two resource tables (``Plan.resource_table()``, or a plan's ``resources.json``)."""
    old = {r["urn"]: r for r in before}
    new = {r["urn"]: r for r in after}
    changes: list[Change] = []
    unchanged = 0
    for urn in sorted(new.keys() | old.keys()):
        if urn not in old:
            changes.append(Change("create", new[urn]["type"], new[urn]["name"], urn))
        elif urn not in new:
            changes.append(Change("delete", old[urn]["type"], old[urn]["name"], urn))
        else:
            fields = tuple(differences(old[urn]["inputs"], new[urn]["inputs"]))
            if not fields:
                unchanged += 1
                continue
            forcing = tuple(f for f in fields if _under_any(f, replace_paths(new[urn]["type"])))
            action = "replace" if forcing else "update"
            changes.append(Change(action, new[urn]["type"], new[urn]["name"], urn, fields, forcing))
    return Comparison(tuple(changes), unchanged)


def differences(old: Any, new: Any, path: str = "") -> Iterator[str]:
    """The paths at which ``old`` and ``new`` differ: ``spec.template.spec.containers[0].image``."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(old.keys() | new.keys()):
            yield from differences(old.get(key), new.get(key), f"{path}.{key}" if path else key)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            yield from differences(a, b, f"{path}[{index}]")
    elif old != new:
        yield path


def _under_any(path: str, prefixes: Sequence[str]) -> bool:
    return any(path == p or path.startswith(p + ".") or path.startswith(p + "[") for p in prefixes)
