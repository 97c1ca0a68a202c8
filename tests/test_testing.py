"""The plan harness's public face (gitlab_k8s_cd.components.testing), as another project imports it."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from gitlab_k8s_cd.components import testing
from gitlab_k8s_cd.components.testing import YamlTimestamp, cli_config_value

# What the Pulumi CLI hands a program for a value of the stack file (docs/contracts.md PC-8).
UTC_DATE = "2027-11-30 00:00:00 +0000 UTC"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("2027-11-30", "2027-11-30"),  # a quoted date is text
        (dt.date(2027, 11, 30), UTC_DATE),  # an unquoted one is a Go time.Time, as String() writes it
        (dt.datetime(2027, 11, 30, 10, 5, 0, 250000), "2027-11-30 10:05:00.25 +0000 UTC"),
        (
            dt.datetime(2027, 11, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5, minutes=-30))),
            "2027-11-30 00:00:00 -0530 -0530",
        ),
        (YamlTimestamp("2027-1-5T1:2:3.000000001Z", 2027, 1, 5, 1, 2, 3, 1), "2027-01-05 01:02:03.000000001 +0000 UTC"),
        (None, ""),  # a key with no value: the zero config.Value
        (True, "true"),
        (42, "42"),
        (2.0, "2"),
        (1.5, "1.5"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (1e-7, "1e-7"),
        (-0.000001, "-0.000001"),
        (
            {"b": [1.0, None, False], "a": dt.date(2027, 11, 30)},
            '{"a":"2027-11-30 00:00:00 +0000 UTC","b":[1,null,false]}',
        ),
        ({"html": "<a & b>"}, '{"html":"\\u003ca \\u0026 b\\u003e"}'),
        ({2: "x", False: "y", None: "z"}, '{"2":"x","\\u003cnil\\u003e":"z","false":"y"}'),  # fmt's %v
        ([], "[]"),
    ],
)
def test_config_values_are_handed_over_as_the_pulumi_cli_hands_them(value, text):
    assert cli_config_value(value) == text


def test_an_object_reads_back_as_the_same_value(tmp_path):
    value = {"html": "<a & b>\u2028", "when": dt.date(2027, 11, 30), "n": [2.0, 2.5]}
    assert json.loads(cli_config_value(value)) == {"html": "<a & b>\u2028", "when": UTC_DATE, "n": [2, 2.5]}


@pytest.mark.parametrize("value", [float("nan"), float("inf"), {"a": [float("-inf")]}])
def test_a_value_json_cannot_write_is_refused_as_the_cli_refuses_to_load_it(value):
    with pytest.raises(ValueError, match=r"^json: unsupported value: (NaN|\+Inf|-Inf)$"):
        cli_config_value(value)


# Where each public name of the façade lives: the product imports it from there, never from here.
HOMES = {
    "OFFLINE_SECRET": "stack_file",
    "YamlTimestamp": "stack_file",
    "cli_config_value": "stack_file",
    "Match": "plan.matching",
    "mismatches": "plan.matching",
    "Plan": "plan.model",
    "PlannedResource": "plan.model",
    "REPLACE_ON": "plan.replacement",
    "ProgramError": "plan.runner",
    "plan_stack": "plan.runner",
    "run_component": "plan.runner",
    "run_program": "plan.runner",
    "REDACTED": "plan.values",
    "Secret": "plan.values",
    "contains_secret": "plan.values",
    "redact": "plan.values",
    "reveal": "plan.values",
}


def test_the_facade_offers_each_name_of_the_harness_as_the_object_where_it_lives():
    import importlib

    assert sorted(testing.__all__) == sorted(HOMES)
    for name, home in HOMES.items():
        module = importlib.import_module(f"gitlab_k8s_cd.components.{home}")
        assert getattr(testing, name) is getattr(module, name), name


def test_the_product_does_not_import_the_testing_facade():
    import re

    from tests.conftest import ROOT

    imports = re.compile(r"^\s*(from\s+\S*testing\s+import|from\s+\.+\s+import\s+testing|import\s+\S*testing)", re.M)
    users = [
        path.relative_to(ROOT).as_posix()
        for folder in ("components", "pipeline", "policy")
        for path in (ROOT / folder).rglob("*.py")
        if path.name != "testing.py" and imports.search(path.read_text())
    ]
    assert users == []
    assert imports.search("from ..testing import Plan") and imports.search("from . import testing")
