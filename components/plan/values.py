"""The values of a plan: a resource's inputs and the stack's outputs as plain data, with each value
the program marked secret wrapped in :class:`Secret`; how they cross from the mock runtime's process
(the wire), and how they are shown (redacted) or read (revealed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Pulumi's marker for a secret value on the wire (sdk/python/lib/pulumi/runtime/rpc.py).
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_SECRET_TAG = "__secret__"

REDACTED = "[secret]"


@dataclass(frozen=True)
class Secret:
    """A value the program marked secret. It prints as ``[secret]``; ``.value`` holds the text."""

    value: Any

    def __repr__(self) -> str:
        return REDACTED


def secret_envelope(value: Any) -> dict[str, Any]:
    """``value`` as the mock runtime marks a secret (what a provider's secret output looks like)."""
    return {SIG_KEY: SECRET_SIG, "value": value}


def _walk(value: Any, *, secret: Any, leaf: Any = lambda item: item) -> Any:
    """Rebuild ``value``: ``secret(inner)`` for each :class:`Secret`, ``leaf(item)`` for each scalar."""
    if isinstance(value, Secret):
        return secret(value.value)
    if isinstance(value, dict):
        return {k: _walk(item, secret=secret, leaf=leaf) for k, item in value.items()}
    if isinstance(value, list):
        return [_walk(item, secret=secret, leaf=leaf) for item in value]
    return leaf(value)


def redact_leaves(value: Any) -> Any:
    """``value`` with every leaf ``[secret]``: the inside of a secret, as shown."""
    return _walk(value, secret=redact_leaves, leaf=lambda _: REDACTED)


def redact(value: Any) -> Any:
    """``value`` with every secret's leaves replaced by ``[secret]``, keeping the shape
    (so a redacted Secret manifest still has ``stringData: {".dockerconfigjson": "[secret]"}``)."""
    return _walk(value, secret=redact_leaves)


def reveal(value: Any) -> Any:
    """``value`` with every :class:`Secret` unwrapped: for assertions on secret contents."""
    return _walk(value, secret=reveal)


def contains_secret(value: Any) -> bool:
    """Whether ``value`` holds a :class:`Secret` anywhere."""
    found: list[Any] = []
    _walk(value, secret=found.append)
    return bool(found)


def get_path(value: Any, path: str) -> Any:
    """``get_path(inputs, "spec.selector")``; None where the path does not exist."""
    for part in path.split("."):
        if isinstance(value, Secret):
            value = value.value
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


# --- the wire: JSON between the mock runtime's process and the caller's ----------------------


def to_wire(value: Any) -> Any:
    """Mock-runtime values to JSON: secret envelopes tagged, integral floats back to ints."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return {_SECRET_TAG: to_wire(value.get("value"))}
        return {str(k): to_wire(item) for k, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_wire(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def secret_on_wire(value: Any) -> dict[str, Any]:
    """A resolved value known to be secret (a stack output), as :func:`to_wire` tags one."""
    return {_SECRET_TAG: value}


def from_wire(value: Any) -> Any:
    """JSON from the child process back to Python: ``{"__secret__": v}`` becomes ``Secret(v)``."""
    if isinstance(value, dict):
        if set(value) == {_SECRET_TAG}:
            return Secret(from_wire(value[_SECRET_TAG]))
        return {k: from_wire(item) for k, item in value.items()}
    if isinstance(value, list):
        return [from_wire(item) for item in value]
    return value
