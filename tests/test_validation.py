"""The error every rule raises and the generic rules: each names the field, the value and the expectation."""

from __future__ import annotations

import datetime as dt

import pytest

from gitlab_k8s_cd.components import validation as v
from gitlab_k8s_cd.components.validation import InvalidArgument


def test_invalid_argument_names_the_field_the_value_and_the_expectation():
    error = InvalidArgument("replicas", 0, "must be an integer ≥ 1")
    assert str(error) == "replicas: must be an integer ≥ 1 (got 0)"


def test_invalid_argument_about_two_fields_names_both_values():
    error = InvalidArgument(("max_surge", "max_unavailable"), (0, "0%"), "cannot both be 0")
    assert str(error) == "max_surge and max_unavailable: cannot both be 0 (got 0 and '0%')"


def test_integer_names_its_range():
    with pytest.raises(InvalidArgument, match=r"must be an integer from 1 to 65535 \(got 70000\)"):
        v.integer("port", 70000, minimum=1, maximum=65535)
    with pytest.raises(InvalidArgument, match=r"must be an integer ≥ 1 \(got True\)"):
        v.integer("replicas", True, minimum=1)
    # The API's int32 fields: one past the limit is refused, by default.
    assert v.integer("replicas", 2**31 - 1, minimum=1) == 2**31 - 1
    with pytest.raises(InvalidArgument, match=r"at most 2147483647 \(the API's int32 limit\) \(got 2147483648\)"):
        v.integer("replicas", 2**31, minimum=1)


@pytest.mark.parametrize("path", ["/", "/healthz", "/ready?full=1"])
def test_http_path_accepts_absolute_paths(path):
    assert v.http_path("path", path) == path


@pytest.mark.parametrize("path", ["healthz", "", "/with space", "/a\nb", None])
def test_http_path_rejects_paths_without_a_leading_slash_or_with_whitespace(path):
    with pytest.raises(InvalidArgument, match=r"^path: must be an HTTP path starting with '/'"):
        v.http_path("path", path)


def test_future_date_rejects_past_dates_and_other_formats():
    today = dt.date(2026, 11, 27)
    assert v.future_date("expires", "2026-11-28", today=today) == "2026-11-28"
    with pytest.raises(InvalidArgument, match=r"must be a date after today \(2026-11-27\)"):
        v.future_date("expires", "2026-11-27", today=today)
    for bad in ["2026-13-01", "27/11/2027", "2027-1-1", 20271127]:
        with pytest.raises(InvalidArgument, match=r"must be a date in YYYY-MM-DD form"):
            v.future_date("expires", bad, today=today)


def test_one_of_lists_what_is_allowed():
    with pytest.raises(InvalidArgument, match=r"^cadence: must be one of '1d', '7d' \(got '2d'\)"):
        v.one_of("cadence", "2d", ("1d", "7d"))


def test_renamed_reports_the_callers_field_names():
    def build():
        raise InvalidArgument("name", "Bad", "must be lowercase")

    with pytest.raises(InvalidArgument, match=r"^namespace: must be lowercase \(got 'Bad'\)"):
        v.renamed(build, {"name": "namespace"})


def test_renamed_keeps_the_index_and_the_path_below_a_renamed_field():
    def build():
        raise InvalidArgument(("environments[1]", "project"), ("$BAD", "x"), "must be names")

    with pytest.raises(InvalidArgument) as refused:
        v.renamed(build, {"environments": "access[0].environments", "project": "access[0].project"})
    assert refused.value.fields == ("access[0].environments[1]", "access[0].project")


def test_an_unquoted_yaml_date_gets_a_hint_to_quote_it():
    """The Pulumi CLI hands an unquoted date over as Go prints a timestamp (docs/contracts.md PC-8)."""
    with pytest.raises(InvalidArgument, match=r"quote it, '2027-11-30'\) \(got '2027-11-30 00:00:00 \+0000 UTC'\)"):
        v.future_date("expires", "2027-11-30 00:00:00 +0000 UTC", today=dt.date(2026, 11, 28))
