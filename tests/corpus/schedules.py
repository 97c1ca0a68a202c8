"""Schedules and time: cron fields out of range, unknown time zones, past or impossible dates,
and YAML scalars (an unquoted date) where a string is expected."""

from __future__ import annotations

from tests.corpus import Case

CASES: list[Case] = []
