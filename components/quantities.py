"""Kubernetes resource quantities (``250m``, ``512Mi``) and rollout bounds (an int or a
percentage), as the API server and the Deployment controller read them."""

from __future__ import annotations

import re
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any

from .validation import INT32_MAX, InvalidArgument

# apimachinery's quantity grammar: a signed decimal number, then a binary suffix (Ki..Ei),
# a decimal suffix (n, u, m, "", k, M, G, T, P, E) or a decimal exponent (e3, E-2).
_QUANTITY = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$")
_QUANTITY_SCALE = {
    "": Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
    "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
}
_EXPONENT = re.compile(r"[eE][+-]?\d+")
# The API server's Quantity fits an int64 of its smallest unit; anything near it is a typo.
_QUANTITY_MAX = Decimal(2**63 - 1)
_PERCENT = re.compile(r"^([0-9]+)%$")


def parse_quantity(value: str) -> Decimal:
    """The numeric value of a Kubernetes quantity (``"500m"`` -> 0.5, ``"1Gi"`` -> 1073741824).

    The grammar is small and fixed; the official client's ``parse_quantity`` would pull the whole
    ``kubernetes`` package (and its import time) into every ``pulumi up`` for one regex.
    """
    match = _QUANTITY.match(value)
    assert match is not None, value
    number = match.group(0)[: len(match.group(0)) - len(match.group(3) or "")]
    suffix = match.group(3) or ""
    if _EXPONENT.fullmatch(suffix):  # "1e3"; not "2E" (exa) nor "1Ei" (exbi)
        return Decimal(number).scaleb(int(suffix[1:]))
    return Decimal(number) * _QUANTITY_SCALE[suffix]


def quantity(field: str, value: Any) -> str:
    """A Kubernetes resource quantity such as ``250m``, ``1``, ``512Mi`` or ``1e3``, not negative."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise InvalidArgument(field, value, f"must be a Kubernetes quantity as text: quote it, '{value}'")
    if not isinstance(value, str) or not _QUANTITY.match(value):
        raise InvalidArgument(
            field,
            value,
            "must be a Kubernetes quantity such as '250m', '1', '512Mi' or '2Gi'",
        )
    suffix = _QUANTITY.match(value).group(3) or ""  # type: ignore[union-attr]
    if _EXPONENT.fullmatch(suffix) and abs(int(suffix[1:])) > 18:
        raise InvalidArgument(field, value, "must be a Kubernetes quantity within 1e-9 to 1e18 of its unit")
    try:
        amount = parse_quantity(value)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        raise InvalidArgument(field, value, "must be a Kubernetes quantity") from None
    if amount < 0:
        raise InvalidArgument(field, value, "must not be negative")
    if amount > _QUANTITY_MAX:
        raise InvalidArgument(field, value, "must be a Kubernetes quantity below 2^63 (the API server's limit)")
    return value


_BYTE_SUFFIXES = frozenset({"Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "k", "M", "G", "T", "P", "E"})


def memory_quantity(field: str, value: Any) -> str:
    """A memory quantity with a byte unit (``512Mi``, ``1G``, ``128e6``). ``"128"`` would be 128
    bytes and ``"128m"`` 0.128 bytes: valid quantities, and always a mistake for memory."""
    quantity(field, value)
    suffix = _QUANTITY.match(value).group(3) or ""  # type: ignore[union-attr]
    if suffix not in _BYTE_SUFFIXES and not _EXPONENT.fullmatch(suffix):
        raise InvalidArgument(
            field, value, "must be a memory quantity with a unit, such as '128Mi' or '1Gi' (a bare number is bytes)"
        )
    if 0 < parse_quantity(value) < 2**20:
        raise InvalidArgument(field, value, "must be at least 1Mi: no container runs in less")
    return value


def cpu_quantity(field: str, value: Any) -> str:
    """A CPU quantity: cores (``1``, ``0.5``) or millicores (``250m``); never a byte unit."""
    quantity(field, value)
    suffix = _QUANTITY.match(value).group(3) or ""  # type: ignore[union-attr]
    if suffix.endswith("i"):
        raise InvalidArgument(field, value, "must be a CPU quantity in cores or millicores, such as '1' or '250m'")
    return value


def int_or_percent(field: str, value: Any) -> int | str:
    """A rollout bound: an integer from 0 to 2^31-1, or a percentage from 0% to 100%, as the API
    server reads one (digits then '%': ``"00%"`` is 0%, ``"050%"`` is 50%)."""
    expected = "must be an integer ≥ 0 or a percentage from 0% to 100%"
    if isinstance(value, bool):
        raise InvalidArgument(field, value, expected)
    if isinstance(value, int):
        if not 0 <= value <= INT32_MAX:
            raise InvalidArgument(field, value, expected)
        return value
    if isinstance(value, str):
        match = _PERCENT.match(value)
        if match and int(match.group(1)) <= 100:
            return value
    raise InvalidArgument(field, value, expected)


def is_zero(value: int | str) -> bool:
    """Whether a rollout bound is zero, in any spelling (``0``, ``"0%"``, ``"00%"``)."""
    return (value if isinstance(value, int) else int(value[:-1])) == 0


def resolve_bound(value: int | str, replicas: int, *, round_up: bool) -> int:
    """A rollout bound in pods, as the Deployment controller resolves it against ``replicas``
    (``GetScaledValueFromIntOrPercent``): maxSurge rounds up, maxUnavailable rounds down."""
    if isinstance(value, int):
        return value
    percent = int(value[:-1])
    scaled = Decimal(percent * replicas) / 100
    return int(scaled.to_integral_value(rounding=ROUND_CEILING if round_up else ROUND_FLOOR))
