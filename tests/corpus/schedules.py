"""Schedules and time: cron fields out of range, unknown time zones, past or impossible dates,
and YAML scalars (an unquoted date) where a string is expected.

GitLab reads the drift check's cron with Fugit; the rule here is Fugit's, or stricter where Fugit
is lenient (hour 24, a sixth field): docs/contracts.md GL-20."""

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
    # YAML scalar types: what the Pulumi CLI hands the program for an unquoted scalar of the stack
    # file (docs/contracts.md PC-8; gitlab_k8s_cd.components.testing.cli_config_value hands over the same)
    Case(
        "token-expires-unquoted-date",
        {"deployTokenExpiresAt": dt.date(2027, 11, 30)},
        "deployTokenExpiresAt",
        "must be a date in YYYY-MM-DD form",
        "'2027-11-30 00:00:00 +0000 UTC'",
    ),
    Case(
        "token-expires-unquoted-timestamp",
        {"deployTokenExpiresAt": dt.datetime(2027, 11, 30, 12, 0, tzinfo=dt.UTC)},
        "deployTokenExpiresAt",
        "must be a date in YYYY-MM-DD form",
        "'2027-11-30 12:00:00 +0000 UTC'",
    ),
    Case(
        "token-expires-unquoted-number",
        {"deployTokenExpiresAt": 20271130},
        "deployTokenExpiresAt",
        "must be a date in YYYY-MM-DD form",
        "'20271130'",
    ),
    Case(
        "drift-ref-unquoted-date",
        {"driftCheck": {"ref": dt.date(2027, 11, 30)}},
        "driftCheck.ref",
        "must be a branch name",
        "'2027-11-30 00:00:00 +0000 UTC'",
    ),
    Case(
        "drift-ref-unquoted-number",
        {"driftCheck": {"ref": 1.0}},
        "driftCheck.ref",
        "must be a branch name",
        "(got 1)",  # handed over as JSON 1, as Go writes the float 1.0
    ),
    Case("drift-enabled-yes", drift(enabled="yes"), "driftCheck.enabled", "must be true or false"),  # YAML 1.2: text
    Case(
        "review-token-date-missing",
        {"reviewApps": {"enabled": "true", "domain": "r.example.com"}},
        "reviewApps.deployTokenExpiresAt",
        "is required when review apps are enabled",
        "None",
    ),
    Case(
        "review-token-date-past",
        {"reviewApps": {"enabled": "true", "domain": "r.example.com", "deployTokenExpiresAt": "2020-01-01"}},
        "reviewApps.deployTokenExpiresAt",
        "a date after today",
        "'2020-01-01'",
    ),
    Case("cron-every-minute", drift(cron="* * * * *"), CRON, "must run at most once an hour"),
    Case("cron-every-half-hour", drift(cron="*/30 3 * * *"), CRON, "must run at most once an hour"),
]
