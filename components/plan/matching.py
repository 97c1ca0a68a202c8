"""Partial matching of a resource's inputs, in the style of AWS CDK's ``Template.hasResourceProperties``.

The rules (:meth:`Plan.has_resource_properties <gitlab_k8s_cd.components.plan.model.Plan.has_resource_properties>`
documents them for users):

- a mapping matches a mapping holding each of its keys, whose values match (other keys are ignored);
- a list matches a list of the same length whose elements match, in order;
- any other value matches an equal value of the same kind (True is not 1);
- a :class:`Match` pattern matches as it says.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .values import Secret, redact, redact_leaves


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
    text = repr(redact_leaves(value) if hidden else redact(value))
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
        inner = actual.value if reveal else redact_leaves(actual.value)
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
