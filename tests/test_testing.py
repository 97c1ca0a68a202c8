"""The plan harness (gitlab_k8s_cd.components.testing), as another project would use it."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import yaml

from gitlab_k8s_cd.components.testing import (
    OFFLINE_SECRET,
    REDACTED,
    Match,
    Plan,
    PlannedResource,
    ProgramError,
    Secret,
    YamlTimestamp,
    cli_config_value,
    contains_secret,
    plan_stack,
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
    assert sorted(f.name for f in files) == ["gitlab.yaml", "kubernetes.yaml", "outputs.json", "resources.json"]
    for file in files:
        assert "hunter2" not in file.read_text() and "s3cr3t" not in file.read_text()
    # The stack's outputs, as `pulumi stack output --json` shows them: a secret one redacted.
    assert json.loads((tmp_path / "outputs.json").read_text()) == {"count": 3, "hidden": "[secret]", "plain": "visible"}
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


# --- plan_stack: a stack planned from its stack file ---------------------------------------------

PROGRAM = """
import pulumi
import pulumi_kubernetes as k8s
from pulumi.runtime import config as runtime_config

config = pulumi.Config()  # the project's namespace: Pulumi.yaml's name
k8s.apps.v1.Deployment(
    "web",
    metadata={"namespace": "shop"},
    spec={
        "replicas": config.require_int("replicas"),
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "r.example.com/web:1",
                                     "env": [{"name": "GREETING", "value": config.require("greeting")}]}]},
        },
    },
)
k8s.core.v1.Secret("api", metadata={"namespace": "shop"}, string_data={"API_KEY": config.require_secret("apiKey")})
keys = ["shop:greeting", "shop:replicas", "shop:limits", "shop:apiKey", "shop:db", "other:flag", "other:token"]
pulumi.export("project", pulumi.get_project())
pulumi.export("limits", config.require_object("limits"))
pulumi.export("flag", pulumi.Config("other").get("flag"))
pulumi.export("db", config.require_secret_object("db"))
pulumi.export("secret_keys", [key for key in keys if runtime_config.is_config_secret(key)])
"""
CIPHERTEXT = "v1:c2FsdHNhbHQ=:Y2lwaGVydGV4dA=="  # never decrypted: no secrets provider here


@pytest.fixture
def shop(tmp_path):
    """A consumer's project named `shop` (not its directory's name) with a `dev` stack."""
    (tmp_path / "Pulumi.yaml").write_text("name: shop\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text(
        "config:\n"
        "  shop:greeting: hello\n"
        "  replicas: 2\n"  # no namespace: the project's
        "  shop:limits: {cpu: 500m, count: 2.0}\n"
        f"  shop:apiKey:\n    secure: {CIPHERTEXT}\n"
        f"  shop:db:\n    user: app\n    password:\n      secure: {CIPHERTEXT}\n"  # one member encrypted
        "  other:flag: true\n"
    )
    (tmp_path / "__main__.py").write_text(PROGRAM)
    return tmp_path


def test_plan_stack_reads_the_stack_file_and_names_the_project_as_pulumi_yaml_does(shop):
    plan = plan_stack(shop, "dev")
    assert plan.outputs["project"] == "shop" != shop.name
    assert plan.outputs["limits"] == {"cpu": "500m", "count": 2}  # an object, 2.0 handed over as 2
    assert plan.outputs["flag"] == "true"  # a plain value as the text the CLI hands over
    plan.has_resource_properties("Deployment", {"spec": {"replicas": 2}})
    greeting = {"containers": [{"env": [{"name": "GREETING", "value": "hello"}]}]}
    plan.has_resource_properties("Deployment", {"spec": {"template": {"spec": greeting}}})
    # The encrypted value: a placeholder the program sees as a secret; redacted unless revealed.
    assert plan.outputs["secret_keys"] == ["shop:apiKey", "shop:db"]  # a key with an encrypted member is secret
    assert plan.outputs["db"] == Secret({"user": "app", "password": OFFLINE_SECRET})
    assert plan.get("kubernetes:core/v1:Secret", "api").inputs["stringData"] == Secret({"API_KEY": OFFLINE_SECRET})
    plan.has_resource_properties("Secret", {"stringData": {"API_KEY": REDACTED}})
    assert CIPHERTEXT not in json.dumps(plan.resource_table()) + "".join(plan.log)


def test_plan_stack_overrides_values_and_keeps_an_encrypted_key_secret(shop):
    plan = plan_stack(
        shop,
        "dev",
        config={"replicas": 3, "shop:greeting": "hi", "apiKey": "key-from-the-test", "limits": {"cpu": "1"}},
        secrets={"other:token": "t0ken"},
    )
    assert plan.outputs["limits"] == {"cpu": "1"}
    plan.has_resource_properties("kubernetes:apps/v1:Deployment", {"spec": {"replicas": 3}})
    assert plan.outputs["secret_keys"] == ["shop:apiKey", "shop:db", "other:token"]
    plan.has_resource_properties("Secret", {"stringData": {"API_KEY": "key-from-the-test"}}, reveal=True)
    plan.has_resource_properties("Secret", {"stringData": {"API_KEY": REDACTED}})


def test_plan_stack_refuses_a_stack_the_cli_would_not_load_naming_the_file(shop):
    with pytest.raises(ValueError, match=r"^no stack file Pulumi\.prod\.yaml in "):
        plan_stack(shop, "prod")
    with pytest.raises(ValueError, match=r"^config: could not parse a:b:c as a configuration key"):
        plan_stack(shop, "dev", config={"a:b:c": 1})
    with pytest.raises(ValueError, match=r"^secrets: shop:apiKey: the Pulumi CLI cannot hand over this value \(json"):
        plan_stack(shop, "dev", secrets={"apiKey": float("nan")})
    (shop / "Pulumi.yaml").write_text("runtime: python\n")
    with pytest.raises(ValueError, match=r"Pulumi\.yaml: no project name$"):
        plan_stack(shop, "dev")


def test_a_consumers_example_plans_from_its_stack_file_under_its_own_project_name():
    """examples/orders reads `pulumi.Config()`: its keys are under `orders`, Pulumi.yaml's name."""
    plan = plan_stack(ROOT / "examples" / "orders", "production")
    plan.has_resource_properties("HorizontalPodAutoscaler", {"spec": {"minReplicas": 3, "maxReplicas": 12}})
    plan.resource_count_is("Deployment", 2)
    plan.has_resource_properties("Deployment", {"metadata": {"name": "orders-worker"}, "spec": {"replicas": 2}})


# --- partial-match assertions ----------------------------------------------------------------


def deployment(name: str, replicas: int, image: str) -> PlannedResource:
    inputs = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "n", "labels": {"app.kubernetes.io/name": name}},
        "spec": {
            "replicas": replicas,
            "template": {"spec": {"containers": [{"name": name, "image": image, "args": ["--a", "--b", "--c"]}]}},
        },
    }
    type_ = "kubernetes:apps/v1:Deployment"
    return PlannedResource(f"urn:{type_}::{name}", type_, name, None, True, None, inputs)


SECRET = PlannedResource(
    "urn:kubernetes:core/v1:Secret::creds",
    "kubernetes:core/v1:Secret",
    "creds",
    None,
    True,
    None,
    {"apiVersion": "v1", "kind": "Secret", "stringData": Secret({"password": "hunter2-hunter2"})},
)
VARIABLE = PlannedResource(
    "urn:gitlab:index/projectVariable:ProjectVariable::v",
    "gitlab:index/projectVariable:ProjectVariable",
    "v",
    None,
    True,
    None,
    {"key": "KUBE_NAMESPACE", "masked": True, "protected": False},
)
MATCHING = Plan(
    resources=(deployment("web", 2, "r/web:1"), deployment("worker", 1, "r/worker:1"), SECRET, VARIABLE), outputs={}
)


def failure(properties, type_or_kind="Deployment", **kwargs) -> str:
    with pytest.raises(AssertionError) as caught:
        MATCHING.has_resource_properties(type_or_kind, properties, **kwargs)
    return str(caught.value)


def test_a_mapping_matches_by_subset_at_every_depth_by_kind_or_by_type():
    found = MATCHING.has_resource_properties("Deployment", {"spec": {"replicas": 1}})
    assert [r.name for r in found] == ["worker"]
    assert len(MATCHING.has_resource_properties("kubernetes:apps/v1:Deployment", {"metadata": {"namespace": "n"}})) == 2
    found = MATCHING.has_resource_properties(
        "gitlab:index/projectVariable:ProjectVariable", {"key": "KUBE_NAMESPACE", "masked": True}
    )
    assert found == [VARIABLE]


def test_a_failure_names_the_closest_candidate_and_each_path_where_it_differs():
    worker = {"template": {"spec": {"containers": [{"image": "r/worker:1"}]}}}
    message = failure(
        {
            "metadata": {"labels": {"app.kubernetes.io/name": "worker"}, "annotations": {}},
            "spec": {"replicas": 2, **worker},
        }
    )
    assert message == (
        "no Deployment has properties {'metadata': {'labels': {'app.kubernetes.io/name': 'worker'}, 'annotations': "
        "{}}, 'spec': {'replicas': 2, 'template': {'spec': {'containers': [{'image': 'r/worker:1'}]}}}}: 2 of that "
        "kind; the closest, worker (kubernetes:apps/v1:Deployment), differs at\n"
        "  metadata.annotations: missing (expected {})\n"
        "  spec.replicas: expected 2, got 1"
    )
    assert "metadata['app.kubernetes.io/name']" not in message
    nested = failure({"metadata": {"labels": {"app.kubernetes.io/name": "api"}}})
    assert "  metadata.labels['app.kubernetes.io/name']: expected 'api', got 'web'" in nested


def test_no_candidate_at_all_lists_what_the_plan_has():
    assert failure({}, "StatefulSet") == "no Kubernetes StatefulSet in the plan; its kinds: Deployment, Secret"
    assert failure({}, "kubernetes:apps/v1:StatefulSet").startswith(
        "no resource of type kubernetes:apps/v1:StatefulSet in the plan; its types: gitlab:index/projectVariable"
    )
    assert failure({}, "ProjectVariable") == "no Kubernetes ProjectVariable in the plan; its kinds: Deployment, Secret"


def test_values_match_by_kind_as_well_as_equality():
    MATCHING.has_resource_properties("kubernetes:apps/v1:Deployment", {"spec": {"replicas": 2}})
    assert "spec.replicas: expected '2', got 2" in failure({"spec": {"replicas": "2"}})
    assert "masked: expected 1, got True" in failure({"masked": 1}, "gitlab:index/projectVariable:ProjectVariable")
    assert "  spec.replicas: expected an object, got 2" in failure({"spec": {"replicas": {"x": 1}}})


def test_a_list_matches_element_by_element_with_partial_mappings_inside():
    containers = {"spec": {"template": {"spec": {"containers": [{"image": "r/web:1", "args": ["--a", "--b", "--c"]}]}}}}
    assert [r.name for r in MATCHING.has_resource_properties("Deployment", containers)] == ["web"]
    message = failure({"spec": {"template": {"spec": {"containers": [{"args": ["--a", "--c"]}]}}}})
    assert "  spec.template.spec.containers[0].args: expected 2 elements, got 3: ['--a', '--b', '--c']" in message
    message = failure({"spec": {"template": {"spec": {"containers": [{"args": ["--a", "--x", "--c"]}]}}}})
    assert "  spec.template.spec.containers[0].args[1]: expected '--x', got '--b'" in message


def test_array_with_matches_elements_in_order_with_others_between():
    in_order = {"containers": [{"args": Match.array_with(["--a", "--c"])}]}
    MATCHING.has_resource_properties("Deployment", {"spec": {"template": {"spec": in_order}}})
    message = failure({"spec": {"template": {"spec": {"containers": [{"args": Match.array_with(["--c", "--a"])}]}}}})
    assert (
        "  spec.template.spec.containers[0].args: no element after spec.template.spec.containers[0].args[2] "
        "matches item 1 of Match.array_with ('--a')" in message
    )
    message = failure({"spec": {"template": {"spec": {"containers": Match.array_with([{"image": "r/web:2"}])}}}})
    assert (
        "spec.template.spec.containers: no element matches item 0 of Match.array_with ({'image': 'r/web:2'}); "
        "the closest differs at:\n"
        "    spec.template.spec.containers[0].image: expected 'r/web:2', got 'r/web:1'" in message
    )
    assert "spec.replicas: expected a list, got 2" in failure({"spec": {"replicas": Match.array_with([1])}})


def test_exact_absent_and_any_value():
    labels = {"metadata": {"labels": Match.exact({"app.kubernetes.io/name": "web"})}}
    assert [r.name for r in MATCHING.has_resource_properties("Deployment", labels)] == ["web"]
    message = failure({"metadata": Match.exact({"name": "web", "namespace": "n"})})
    assert "  metadata.labels: unexpected key (got {'app.kubernetes.io/name': 'web'})" in message
    assert len(MATCHING.has_resource_properties("Deployment", {"spec": {"paused": Match.absent()}})) == 2
    assert "  spec.replicas: expected absent, got 2" in failure({"spec": {"replicas": Match.absent()}})
    assert len(MATCHING.has_resource_properties("Deployment", {"spec": {"replicas": Match.any_value()}})) == 2
    assert "  spec.paused: missing (expected Match.any_value())" in failure({"spec": {"paused": Match.any_value()}})


def test_a_secret_matches_redacted_unless_revealed_and_a_failure_never_shows_it():
    MATCHING.has_resource_properties("Secret", {"stringData": {"password": REDACTED}})
    MATCHING.has_resource_properties("Secret", {"stringData": {"password": "hunter2-hunter2"}}, reveal=True)
    hidden = failure({"stringData": {"password": "hunter2-hunter2"}}, "Secret")
    assert "  stringData.password: expected 'hunter2-hunter2', got '[secret]'" in hidden
    revealed = failure({"stringData": {"password": "other"}}, "Secret", reveal=True)
    assert "  stringData.password: expected 'other', got '[secret]'" in revealed
    exact = failure({"stringData": Match.exact({})}, "Secret", reveal=True)
    assert "unexpected key (got '[secret]')" in exact and "hunter2" not in exact + revealed


def test_resource_count_is_counts_by_kind_or_type_and_optionally_by_properties():
    MATCHING.resource_count_is("Deployment", 2)
    MATCHING.resource_count_is("kubernetes:core/v1:Secret", 1)
    MATCHING.resource_count_is("StatefulSet", 0)
    MATCHING.resource_count_is("Deployment", 1, {"spec": {"replicas": 2}})
    with pytest.raises(AssertionError, match=r"^expected 3 Deployment, found 2: web, worker$"):
        MATCHING.resource_count_is("Deployment", 3)
    with pytest.raises(
        AssertionError, match=r"^expected 2 Deployment with properties \{'spec': \{'replicas': 1\}\}, found 1: worker$"
    ):
        MATCHING.resource_count_is("Deployment", 2, {"spec": {"replicas": 1}})
    with pytest.raises(AssertionError, match=r"^expected 1 ConfigMap, found 0: none$"):
        MATCHING.resource_count_is("ConfigMap", 1)


def test_assertions_on_a_planned_program(plan):
    plan.has_resource_properties("Deployment", {"spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}}})
    plan.has_resource_properties("ConfigMap", {"metadata": {"name": Match.any_value()}, "data": {"VALUE": "one"}})
    plan.resource_count_is("kubernetes:core/v1:Secret", 1, {"stringData": {"password": REDACTED}})
