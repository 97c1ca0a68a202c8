"""When GitLab runs a pipeline schedule: a cron expression its scheduler accepts, in an IANA time zone."""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import resources
from typing import Any

from .validation import InvalidArgument

# Five cron fields as GitLab reads them (Fugit::Cron, fugit 1.11.1 lib/fugit/cron.rb), but stricter
# where Fugit is lenient: hour 24, a sixth (seconds) field, L/last and '#' forms are refused.
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_CRON_FIELDS = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {name: number for number, name in enumerate(_MONTHS, start=1)}),
    ("day of week", 0, 7, {name: number for number, name in enumerate(_WEEKDAYS)}),
)
_CRON_ITEM = re.compile(r"^(\*|[0-9a-z]+(-[0-9a-z]+)?)(/[0-9]{1,2})?$")
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def cron_expression(field: str, value: Any) -> str:
    """A five-field cron expression GitLab's scheduler accepts, whose fields are in range and whose
    days exist (``0 0 30 2 *`` never runs: GitLab refuses it)."""
    expected = "must be a five-field cron expression, e.g. '0 3 * * *' (minute hour day-of-month month day-of-week)"
    if not isinstance(value, str) or any(ord(c) < 32 and c != " " for c in value):
        raise InvalidArgument(field, value, expected)
    fields = value.lower().split()
    if len(fields) != 5:
        raise InvalidArgument(field, value, expected)
    allowed: list[set[int]] = []
    for text, (name, low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        values: set[int] = set()
        for item in text.split(","):
            match = _CRON_ITEM.match(item)
            if not match:
                raise InvalidArgument(field, value, f"{expected}; its {name} field {text!r} is not one")
            step = int(match.group(3)[1:]) if match.group(3) else 1
            if match.group(1) == "*":
                first, last = low, high
            else:
                bounds = [_cron_number(part, names) for part in match.group(1).split("-")]
                if any(b is None or not low <= b <= high for b in bounds):
                    raise InvalidArgument(
                        field, value, f"must be a cron expression whose {name} is from {low} to {high} (not {text!r})"
                    )
                first, last = bounds[0], bounds[-1]  # type: ignore[assignment]
            if step < 1 or first > last:
                raise InvalidArgument(field, value, f"must be a cron expression; its {name} range {text!r} is empty")
            values |= set(range(first, last + 1, step))
        allowed.append(values)
    days, months = allowed[2], allowed[3]
    if fields[2] != "*" and not any(day <= _DAYS_IN_MONTH[month - 1] for day in days for month in months):
        raise InvalidArgument(field, value, "must name a day that exists in one of its months (it would never run)")
    return value


def _cron_number(text: str, names: Mapping[str, int]) -> int | None:
    if text.isdigit():
        return int(text)
    return names.get(text)


_TIME_ZONES: frozenset[str] | None = None


def time_zone(field: str, value: Any) -> str:
    """An IANA time zone name (``UTC``, ``Europe/Paris``), which GitLab's TZInfo knows. GitLab also
    takes Rails' names (``Paris``); the IANA name is the unambiguous one."""
    global _TIME_ZONES
    if _TIME_ZONES is None:
        # The tzdata package's list, not the host's /usr/share/zoneinfo (which adds "localtime",
        # "posixrules" and the like, and differs from one machine to the next).
        _TIME_ZONES = frozenset(resources.files("tzdata").joinpath("zones").read_text().split()) - {"Factory"}
    if not isinstance(value, str) or value not in _TIME_ZONES:
        raise InvalidArgument(field, value, "must be an IANA time zone name such as 'UTC' or 'Europe/Paris'")
    return value
