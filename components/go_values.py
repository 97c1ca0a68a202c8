"""Go values as the Pulumi CLI decodes them from YAML and writes them as text (docs/contracts.md
PC-8), without Go.

The CLI decodes a stack file with gopkg.in/yaml.v3 v3.0.1 (pulumi/pulumi sdk/go.mod) into Go
values, and hands a program the text Go writes for each: encoding/json for numbers, booleans,
objects and lists, ``strconv.FormatFloat`` for floats, ``time.Time.String()`` for timestamps.
``components/stack_file.py`` reads a stack file with them.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class YamlTimestamp:
    """A YAML timestamp (``2027-11-30``, ``2027-11-30T10:00:00Z``) as gopkg.in/yaml.v3 v3.0.1 decodes
    it: a Go ``time.Time`` (resolve.go l. 180-189, 294-326). ``offset`` is the zone offset in minutes
    as written, None for UTC (``Z`` or no zone); ``text`` is the scalar as written."""

    text: str
    year: int
    month: int
    day: int
    hour: int = 0
    minute: int = 0
    second: int = 0
    nanosecond: int = 0
    offset: int | None = None

    def __str__(self) -> str:
        """Go's ``time.Time.String()`` ("2006-01-02 15:04:05.999999999 -0700 MST"), which is what the
        CLI hands a program for a timestamp (config/object.go l. 490-491). A timestamp with an
        offset other than UTC gets a fabricated zone named by its offset ("+0200 +0200"), as Go's
        ``time.Parse`` gives it on a machine whose local zone is UTC, as CI runners are."""
        text = f"{self.year:04d}-{self.month:02d}-{self.day:02d} {self.hour:02d}:{self.minute:02d}:{self.second:02d}"
        if self.nanosecond:
            text += "." + f"{self.nanosecond:09d}".rstrip("0")
        minutes = self.offset or 0
        zone = f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
        return f"{text} {zone} {'UTC' if self.offset is None else zone}"

    @classmethod
    def of(cls, value: YamlTimestamp | _dt.date) -> YamlTimestamp:
        """A Python date or datetime (as PyYAML would load a timestamp) as yaml.v3 would decode it;
        a YamlTimestamp as it is."""
        if isinstance(value, YamlTimestamp):
            return value
        if not isinstance(value, _dt.datetime):
            return cls(value.isoformat(), value.year, value.month, value.day)
        offset = value.utcoffset()
        minutes = None if offset is None or offset == _dt.timedelta(0) else int(offset.total_seconds()) // 60
        return cls(
            value.isoformat(),
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond * 1000,
            minutes,
        )


def go_json(value: Any) -> str:
    """Go's ``json.Marshal`` of the value a config object holds (config/object.go l. 434-436)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float(value, "json")
    if isinstance(value, (str, YamlTimestamp, _dt.date)):
        # A timestamp inside an object: the CLI turns each time.Time into its String() before it
        # marshals the object (config/object.go l. 490-491).
        text = value if isinstance(value, str) else str(YamlTimestamp.of(value))
        # encoding/json escapes these (encode.go, encodeState.string with escapeHTML); json.dumps does not.
        escaped = json.dumps(text, ensure_ascii=False)
        for char in "<>&\u2028\u2029":
            escaped = escaped.replace(char, f"\\u{ord(char):04x}")
        return escaped
    if isinstance(value, Mapping):
        # A map with a key that is not a string is a map[any]any, whose keys the CLI turns into
        # text with fmt's %v (config/object.go l. 505-510); encoding/json then sorts the keys.
        members = sorted(((_go_key(key), item) for key, item in value.items()), key=lambda member: member[0])
        return "{" + ",".join(f"{go_json(key)}:{go_json(item)}" for key, item in members) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(go_json(item) for item in value) + "]"
    raise TypeError(f"no config value of type {type(value).__name__}")


def _go_key(key: Any) -> str:
    """fmt's ``%v`` of a map key."""
    if key is None:
        return "<nil>"
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, float):
        return go_float(key, "g")
    return str(key)


def go_float(value: float, verb: str) -> str:
    """Go's text of a float64: ``strconv.FormatFloat(value, verb, -1, 64)`` for verb ``e``, ``f`` or
    ``g`` (the shortest digits that read back as ``value``), or ``json``, encoding/json's float
    encoder: ``f``, but ``e`` below 1e-6 and from 1e21, with ``e-07`` cleaned up to ``e-7``."""
    if math.isnan(value) or math.isinf(value):
        shown = "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")
        raise ValueError(f"json: unsupported value: {shown}")
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    _, digit_tuple, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    point = len(digits) + int(exponent)  # digits before the decimal point (strconv's digs.dp)
    if digits == "0":
        point = 1
    if verb == "json":
        magnitude = abs(value)
        verb = "e" if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21) else "f"
        text = go_float(value, verb)
        return text[:-2] + text[-1] if verb == "e" and text[-4:-1].startswith("e-0") else text
    if verb == "g":
        verb = "e" if point - 1 < -4 or point - 1 >= 6 else "f"  # shortest %g decides with precision 6
    if verb == "e":
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        power = point - 1 if digits != "0" else 0
        return f"{sign}{mantissa}e{'-' if power < 0 else '+'}{abs(power):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return f"{sign}{digits}{'0' * (point - len(digits))}"
    return f"{sign}{digits[:point]}.{digits[point:]}"


# The stack file is YAML as gopkg.in/yaml.v3 v3.0.1 reads it (pulumi/pulumi sdk/go.mod), not as
# PyYAML's YAML 1.1: `yes` and `on` are strings, `1e3` is a float, `1:30` is not 90, a timestamp
# becomes a Go time.Time, and a key twice in a mapping is an error. resolve.go l. 32-68, 124-326.

_PLAIN = "tag:gitlab-k8s-cd,2026:plain"
_RESOLVE_MAP: Mapping[str, Any] = {
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), None),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), float("nan")),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), float("inf")),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), float("-inf")),
}
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
# The layouts yaml.v3 tries (resolve.go l. 294-301), for Go's time.Parse: a 4-digit year, 1- or
# 2-digit fields, an optional fraction (any digits, "." or ","), and a zone only after T or t.
_TIMESTAMP = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})-(?P<day>[0-9]{1,2})"
    r"(?:(?:[Tt](?P<time>[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:[.,][0-9]+)?)(?P<zone>Z|[-+][0-9]{2}:[0-9]{2}))"
    r"| +(?P<local>[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:[.,][0-9]+)?))?"
)
_INT64, _UINT64 = 1 << 63, 1 << 64


class _GoYamlLoader(yaml.SafeLoader):
    """PyYAML's parser with yaml.v3's resolution of plain scalars and its duplicate-key error."""

    def resolve(self, kind: Any, value: str, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode and implicit[0]:
            return "tag:yaml.org,2002:merge" if value == "<<" else _PLAIN
        return str(super().resolve(kind, value, implicit))

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        seen: dict[str, int] = {}
        for key_node, _ in node.value:  # decode.go l. 769-782
            if isinstance(key_node, yaml.ScalarNode):
                line = key_node.start_mark.line + 1
                if key_node.value in seen:
                    first = seen[key_node.value]
                    raise ValueError(f"line {line}: mapping key {key_node.value!r} already defined at line {first}")
                seen[key_node.value] = line
        return dict(super().construct_mapping(node, deep=deep))


_GoYamlLoader.add_constructor(_PLAIN, lambda loader, node: go_yaml_scalar(node.value))


def read_yaml(path: Path) -> Any:
    """``path`` decoded as the Pulumi CLI decodes Pulumi.yaml and Pulumi.<stack>.yaml."""
    try:
        return yaml.load(path.read_text(), Loader=_GoYamlLoader)  # a SafeLoader
    except ValueError as error:
        raise ValueError(f"{path.name}: {error}") from None


def go_yaml_scalar(text: str) -> Any:
    """A plain (unquoted, untagged) scalar as yaml.v3's ``resolve("", text)`` decodes it into an
    ``interface{}`` (resolve.go l. 126-265): None, a bool, an int, a float, a YamlTimestamp or the text."""
    hint = text[:1]
    if hint and hint not in "+-0123456789yYnNtTfFoO~.":
        return text
    if text in _RESOLVE_MAP:
        return _RESOLVE_MAP[text]
    if hint in "yYnNtTfFoO~":
        return text
    if hint == ".":
        number = _go_parse_float(text)
        return text if number is None else number
    timestamp = _go_timestamp(text)
    if timestamp is not None:
        return timestamp
    plain = text.replace("_", "")
    for parsed in (_go_parse_int(plain), _go_parse_uint(plain)):
        if parsed is not None:
            return parsed
    if _YAML_FLOAT.fullmatch(plain):
        number = _go_parse_float(plain)
        if number is not None:
            return number
    for prefix, base in (("0b", 2), ("0o", 8)):
        for sign in ("", "-"):
            if plain.startswith(sign + prefix):
                digits = sign + plain[len(sign + prefix) :]
                if re.fullmatch(r"[-+]?[0-7]+" if base == 8 else r"[-+]?[01]+", digits):
                    number = int(digits, base)
                    if -_INT64 <= number < (_INT64 if sign else _UINT64):
                        return number
    return text


def _go_parse_uint(text: str) -> int | None:
    """Go's ``strconv.ParseUint(text, 0, 64)``: a 0x, 0o or 0b prefix, or a leading 0 for octal."""
    base, digits = 10, text
    if text.startswith("0"):
        prefix = text[1:2].lower()
        if len(text) >= 3 and prefix in ("b", "o", "x"):
            base, digits = {"b": 2, "o": 8, "x": 16}[prefix], text[2:]
        else:
            base, digits = 8, text[1:]
    if not text or not re.fullmatch(r"[0-9a-fA-F]*", digits) or any(int(c, 16) >= base for c in digits):
        return None
    number = int(digits, base) if digits else 0
    return number if number < _UINT64 else None


def _go_parse_int(text: str) -> int | None:
    """Go's ``strconv.ParseInt(text, 0, 64)``: an optional sign, then as ParseUint, within int64."""
    negative = text.startswith("-")
    magnitude = _go_parse_uint(text[1:] if text[:1] in "+-" else text)
    if magnitude is None or magnitude > _INT64 or (magnitude == _INT64 and not negative):
        return None
    return -magnitude if negative else magnitude


def _go_parse_float(text: str) -> float | None:
    """Go's ``strconv.ParseFloat(text, 64)`` for the decimal forms yaml.v3 hands it; None where Go
    fails, an overflow to infinity included (ErrRange)."""
    if not re.fullmatch(r"[-+]?[0-9_]*\.?[0-9_]*([eE][-+]?[0-9]+)?", text):
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return None if number in (float("inf"), float("-inf")) else number


def _go_timestamp(text: str) -> YamlTimestamp | None:
    """yaml.v3's ``parseTimestamp`` (resolve.go l. 306-326), for Go's ``time.Parse`` range checks."""
    match = _TIMESTAMP.fullmatch(text)
    if not match:
        return None
    year, month, day = int(match["year"]), int(match["month"]), int(match["day"])
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    if not 1 <= month <= 12 or not 1 <= day <= days[month - 1]:
        return None
    clock = match["time"] or match["local"]
    hour = minute = second = nanosecond = 0
    if clock:
        hms, _, fraction = clock.replace(",", ".").partition(".")
        hour, minute, second = (int(part) for part in hms.split(":"))
        nanosecond = int(fraction[:9].ljust(9, "0")) if fraction else 0
        if hour >= 24 or minute >= 60 or second >= 60:
            return None
    offset = None
    zone = match["zone"]
    if zone and zone != "Z":
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if hours > 24 or minutes > 60:  # Go's range test uses > (time/format.go)
            return None
        offset = (hours * 60 + minutes) * (-1 if zone[0] == "-" else 1) or None
    return YamlTimestamp(text, year, month, day, hour, minute, second, nanosecond, offset)
