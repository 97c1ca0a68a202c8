"""Binding config values to frozen Args: the Args validate, and their refusal is re-raised as a
:class:`~.config.ConfigError` about the config key (``rollout.maxSurge``), not the field
(``spec.rollout.max_surge``).

Top-level values arrive from the Pulumi CLI as strings (``replicas: 2`` is ``"2"``); objects
arrive as JSON, with typed members. Both are accepted wherever an integer or a boolean is due.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Mapping
from typing import Any, TypeVar

from . import validation as v
from .config import ConfigError, error, namespace
from .config_keys import NESTED_ARGS, REMOVED_MEMBERS

T = TypeVar("T")

UNSET: Any = object()
"""A key or member not given: its field keeps the Args' default."""


def get(raw: Mapping[str, Any], key: str, empty_is_unset: bool = False) -> Any:
    """The value of ``key``, or UNSET when absent, or empty and ``empty_is_unset``."""
    value = raw.get(key, UNSET)
    return UNSET if empty_is_unset and value == "" else value


def build(cls: type[T], sources: Mapping[str, tuple[str, Any]]) -> T:
    """``cls(**values)``, where ``sources`` maps each field to (config key, value or UNSET).

    Unset fields keep the Args' defaults. An InvalidArgument about field ``f.sub`` is re-raised
    as a ConfigError about ``<key of f>.sub``.
    """
    hints = {f.name: str(f.type) for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    for name, (_key, value) in sources.items():
        if value is not UNSET:
            kwargs[name] = coerce(hints[name], value)
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        missing = field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
        if missing and field.name not in kwargs:
            raise error((sources[field.name][0],), None, "is required")
    try:
        return cls(**kwargs)
    except v.InvalidArgument as refused:
        keys = []
        for field_path in refused.fields:
            head, *rest = path_parts(field_path)
            name, bracket, item = head.partition("[")
            parts = [(sources[name][0] if name in sources else camel(name)) + bracket + item]
            # A mapping's key ("settings['DB_PASSWORD']") is the user's, kept as given.
            parts += [camel(part.partition("[")[0]) + "".join(part.partition("[")[1:]) for part in rest]
            keys.append(".".join(part for part in parts if part))
        raise error(tuple(keys), refused.values if len(keys) > 1 else refused.values[0], refused.expected) from None


def object_value(raw: Mapping[str, Any], key: str, cls: type[T], defaults: Mapping[str, Any] | None = None) -> T | Any:
    """Build ``cls`` from the object under ``key``, or UNSET when the key is absent."""
    if key not in raw:
        return UNSET
    return members(key, raw[key], cls, defaults)


def members(path: str, given: Any, cls: type[T], defaults: Mapping[str, Any] | None = None) -> T:
    """Build ``cls`` from the object ``given`` at config path ``path``, and its members that are
    objects (:data:`~.config_keys.NESTED_ARGS`) likewise."""
    if not isinstance(given, Mapping):
        raise error((path,), given, "must be an object (a YAML mapping under the key in the stack file)")
    fields = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    sources: dict[str, tuple[str, Any]] = {name: (f"{path}.{camel(name)}", UNSET) for name in fields}
    for member, value in (defaults or {}).items():
        sources[snake(member)] = (f"{path}.{member}", value)
    for member, value in given.items():
        name = snake(member)
        if f"{path}.{member}" in REMOVED_MEMBERS:
            raise error((f"{path}.{member}",), value, REMOVED_MEMBERS[f"{path}.{member}"])
        if name not in fields:
            allowed = sorted(camel(f) for f in fields)
            close = difflib.get_close_matches(member, allowed, n=1)
            hint = f"did you mean {namespace()}:{path}.{close[0]}? " if close else ""
            raise error((f"{path}.{member}",), value, f"is not a known key; {hint}(one of {', '.join(allowed)})")
        nested = NESTED_ARGS.get(cls, {}).get(name)
        if nested is not None and value is not None:
            value = members(f"{path}.{member}", value, nested)
        sources[name] = (f"{path}.{member}", value)
    if "replicas" in given and "autoscaling" in given and given["autoscaling"] is not None:
        raise one_of_replicas_or_autoscaling(f"{path}.replicas", f"{path}.autoscaling", given["replicas"])
    return build(cls, sources)


def one_of_replicas_or_autoscaling(replicas: str, autoscaling: str, value: Any) -> ConfigError:
    """An autoscaler beside replicas (web's, or a process's), which it would make meaningless."""
    return error(
        (replicas, autoscaling),
        (value, "set"),
        "only one may be set: with an autoscaler, the replicas are its own (from minReplicas to maxReplicas)",
    )


def coerce(annotation: str, value: Any) -> Any:
    """Strings from the CLI to the int or bool a field is declared as (``"int | str"``,
    ``"bool"``: the annotations are strings here); anything else untouched."""
    if not isinstance(value, str):
        return value
    declared = set(re.findall(r"[A-Za-z_]+", annotation))
    if "bool" in declared and value in ("true", "false"):
        return value == "true"
    if "int" in declared and re.fullmatch(r"-?[0-9]+", value):
        return int(value)
    return value


def path_parts(field_path: str) -> list[str]:
    """``"spec.settings['a.b']"`` -> ``["spec", "settings['a.b']"]``: dots inside brackets stay."""
    return re.split(r"\.(?![^\[]*\])", field_path)


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()
