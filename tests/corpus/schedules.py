"""Schedules and time: cron fields out of range, unknown time zones, past or impossible dates,
and YAML scalars (an unquoted date) where a string is expected.

GitLab reads the drift check's cron with Fugit; the rule here is Fugit's, or stricter where Fugit
is lenient (hour 24, a sixth field): docs/contracts.md GL-17."""

from __future__ import annotations

import datetime as dt

from tests.corpus import Case

CRON = "driftCheck.cron"
ZONE = "must be an IANA time zone name"
TODAY = dt.date.today().isoformat()


def drift(**members: str) -> dict[str, dict[str, str]]:
    return {"driftCheck": members}


CASES: list[Case] = [
    # cron fields out of range, or days that never come
    Case("cron-minute-60", drift(cron="60 3 * * *"), CRON, "minute is from 0 to 59"),
    Case("cron-hour-24", drift(cron="0 24 * * *"), CRON, "hour is from 0 to 23"),
    Case("cron-day-32", drift(cron="0 3 32 * *"), CRON, "day of month is from 1 to 31"),
    Case("cron-day-0", drift(cron="0 3 0 * *"), CRON, "day of month is from 1 to 31"),
    Case("cron-month-13", drift(cron="0 3 * 13 *"), CRON, "month is from 1 to 12"),
    Case("cron-weekday-8", drift(cron="0 3 * * 8"), CRON, "day of week is from 0 to 7"),
    Case("cron-february-30", drift(cron="0 3 30 2 *"), CRON, "a day that exists"),
    Case("cron-june-31", drift(cron="0 3 31 6 *"), CRON, "a day that exists"),
    Case("cron-six-fields", drift(cron="0 0 3 * * *"), CRON, "five-field"),
    Case("cron-special", drift(cron="@daily"), CRON, "five-field"),
    Case("cron-weekday-long-name", drift(cron="0 3 * * monday"), CRON, "day of week is from 0 to 7"),
    Case("cron-empty-range", drift(cron="0 5-1 * * *"), CRON, "is empty"),
    # time zones
    Case("zone-unknown", drift(timezone="Mars/Olympus"), "driftCheck.timezone", ZONE),
    Case("zone-rails-name", drift(timezone="Paris"), "driftCheck.timezone", ZONE),
    Case("zone-injection", drift(timezone="UTC; rm -rf /"), "driftCheck.timezone", ZONE),
    Case("zone-lowercase", drift(timezone="europe/paris"), "driftCheck.timezone", ZONE),
    # dates
    Case("token-expires-today", {"deployTokenExpiresAt": TODAY}, "deployTokenExpiresAt", "a date after today"),
    Case("token-expires-february-30", {"deployTokenExpiresAt": "2027-02-30"}, "deployTokenExpiresAt", "YYYY-MM-DD"),
    Case("token-expires-month-13", {"deployTokenExpiresAt": "2027-13-01"}, "deployTokenExpiresAt", "YYYY-MM-DD"),
    Case("drift-ref-space", drift(ref="main branch"), "driftCheck.ref", "must be a branch name"),
    # YAML scalar types
]
