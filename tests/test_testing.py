"""The plan harness (gitlab_k8s_cd.components.testing), as another project would use it."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import yaml

from gitlab_k8s_cd.components.testing import (
    Plan,
    ProgramError,
    Secret,
    YamlTimestamp,
    cli_config_value,
    contains_secret,
    redact,
    reveal,
    run_component,
)
from tests.conftest import ROOT


def run(target: str, **kwargs) -> Plan:
    return run_component(f"tests.programs.harness:{target}", cwd=ROOT, project="harness", **kwargs)


@pytest.fixture(scope="module")
def plan():
    return run("numbers_and_secrets")


def test_numbers_come_back_as_ints_not_floats(plan):
    replicas = plan.get("kubernetes:apps/v1:Deployment", "web").inputs["spec"]["replicas"]
    assert replicas == 3 and type(replicas) is int
    assert type(plan.outputs["count"]) is int


def test_find_and_get_by_type_and_name(plan):
    assert [r.name for r in plan.find("kubernetes:core/v1:ConfigMap")] == ["settings"]
    assert [r.name for r in plan.kind("Secret")] == ["credentials"]
    with pytest.raises(
        AssertionError,
        match=r"expected one kubernetes:core/v1:ConfigMap named 'nope', found 0 "
        r"\(names of that type: settings\)",
    ):
        plan.get("kubernetes:core/v1:ConfigMap", "nope")


def test_secret_inputs_and_outputs_are_marked(plan):
    secret = plan.get("kubernetes:core/v1:Secret", "credentials").inputs
    assert isinstance(secret["stringData"], Secret)
    assert secret["stringData"].value == {"password": "hunter2-hunter2"}
    assert plan.outputs["plain"] == "visible"
    assert isinstance(plan.outputs["hidden"], Secret) and repr(plan.outputs["hidden"]) == "[secret]"


def test_manifests_are_redacted_but_keep_their_shape(plan):
    manifest = plan.get("kubernetes:core/v1:Secret", "credentials").manifest()
    assert manifest["stringData"] == {"password": "[secret]"}
    assert list(manifest)[:3] == ["apiVersion", "kind", "metadata"]
    assert plan.get("kubernetes:core/v1:Secret", "credentials").manifest(redacted=False)["stringData"] == {
        "password": "hunter2-hunter2"
    }


def test_autonamed_objects_get_a_name_that_changes_when_a_replacement_would(plan):
    name = plan.get("kubernetes:core/v1:ConfigMap", "settings").inputs["metadata"]["name"]
    assert name.startswith("settings-")
    changed = run("numbers_and_secrets", config={"harness:value": "two"})
    assert changed.get("kubernetes:core/v1:ConfigMap", "settings").inputs["metadata"]["name"] != name
    assert (
        changed.get("kubernetes:apps/v1:Deployment", "web").inputs["metadata"]["name"]
        == (plan.get("kubernetes:apps/v1:Deployment", "web").inputs["metadata"]["name"])
    )


def test_write_dumps_manifests_and_gitlab_resources_without_secret_values(plan, tmp_path):
    files = plan.write(tmp_path)
    assert sorted(f.name for f in files) == ["gitlab.yaml", "kubernetes.yaml", "resources.json"]
    for file in files:
        assert "hunter2" not in file.read_text()
    documents = list(yaml.safe_load_all((tmp_path / "kubernetes.yaml").read_text()))
    assert [d["kind"] for d in documents] == ["Secret", "ConfigMap", "Deployment"]  # apply order


def test_invokes_get_default_answers_that_a_caller_can_override():
    assert run("group_lookup").outputs["group_id"] == 4242
    overridden = run("group_lookup", invokes={"gitlab:index/getGroup:getGroup": {"id": "9", "groupId": 9}})
    assert overridden.outputs["group_id"] == 9


def test_a_failing_program_raises_program_error_with_what_it_registered_first():
    with pytest.raises(ProgramError, match=r"builtins.RuntimeError: the program broke") as caught:
        run("failing")
    assert [r.name for r in caught.value.plan.resources] == ["before-the-error"]
    assert run("failing", check=False).error["type"] == "builtins.RuntimeError"


def test_redact_reveal_and_contains_secret_walk_nested_values():
    value = {"a": [1, Secret({"b": "x", "c": ["y"]})], "d": "plain"}
    assert redact(value) == {"a": [1, {"b": "[secret]", "c": ["[secret]"]}], "d": "plain"}
    assert reveal(value) == {"a": [1, {"b": "x", "c": ["y"]}], "d": "plain"}
    assert contains_secret(value) and not contains_secret(reveal(value))


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


def test_run_program_hands_the_program_config_values_as_the_cli_does():
    plan = run("numbers_and_secrets", config={"harness:value": dt.date(2027, 11, 30)})
    assert plan.get("kubernetes:core/v1:ConfigMap", "settings").inputs["data"] == {"VALUE": UTC_DATE}
