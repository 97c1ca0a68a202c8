"""Cron expressions GitLab's scheduler accepts, and IANA time zones."""

from __future__ import annotations

import pytest

from gitlab_k8s_cd.components import (
    schedules,
)
from gitlab_k8s_cd.components.validation import InvalidArgument


@pytest.mark.parametrize("cron", ["0 3 * * *", "*/15 * * * *", "0 0 29 2 *", "0 9 * * mon-fri", "0 0 1 jan,jul *"])
def test_cron_expression_accepts_what_gitlab_runs(cron):
    assert schedules.cron_expression("cron", cron) == cron


@pytest.mark.parametrize(
    ("cron", "expected"),
    [
        ("60 3 * * *", r"minute is from 0 to 59 \(not '60'\)"),
        ("0 24 * * *", r"hour is from 0 to 23"),  # Fugit reads 24 as 0; say what is meant
        ("0 0 0 * *", r"day of month is from 1 to 31"),
        ("0 0 32 * *", r"day of month is from 1 to 31"),
        ("0 0 * 13 *", r"month is from 1 to 12"),
        ("0 0 * * 8", r"day of week is from 0 to 7"),
        ("0 0 31 2 *", r"a day that exists"),
        ("0 0 30 2 *", r"a day that exists"),
        ("0 0 * * * *", r"five-field"),
        ("@daily", r"five-field"),
        ("5-1 * * * *", r"is empty"),
        ("0 3 * * monday", r"day of week is from 0 to 7 \(not 'monday'\)"),  # three-letter names only
    ],
)
def test_cron_expression_refuses_what_gitlab_refuses_or_never_runs(cron, expected):
    with pytest.raises(InvalidArgument, match=expected):
        schedules.cron_expression("cron", cron)


@pytest.mark.parametrize("zone", ["Mars/Olympus", "Paris", "utc", "Europe/Paris; rm", "", "localtime", "Factory"])
def test_time_zone_wants_an_iana_name(zone):
    with pytest.raises(InvalidArgument, match=r"must be an IANA time zone name"):
        schedules.time_zone("timezone", zone)
    assert schedules.time_zone("timezone", "Europe/Paris") == "Europe/Paris"
