"""A program run under the mock runtime in a process of its own (gitlab_k8s_cd.components.plan.runner and .child)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from gitlab_k8s_cd.components.plan.model import Plan
from gitlab_k8s_cd.components.plan.runner import ProgramError, plan_stack, run_component
from gitlab_k8s_cd.components.plan.values import REDACTED, Secret
from gitlab_k8s_cd.components.stack_file import OFFLINE_SECRET
from tests.conftest import ROOT

UTC_DATE = "2027-11-30 00:00:00 +0000 UTC"


def run(target: str, **kwargs) -> Plan:
    return run_component(f"tests.programs.harness:{target}", cwd=ROOT, project="harness", **kwargs)


@pytest.fixture(scope="module")
def plan():
    return run("numbers_and_secrets")


def test_numbers_come_back_as_ints_not_floats(plan):
    replicas = plan.get("kubernetes:apps/v1:Deployment", "web").inputs["spec"]["replicas"]
    assert replicas == 3 and type(replicas) is int
    assert type(plan.outputs["count"]) is int


def test_secret_inputs_and_outputs_are_marked(plan):
    secret = plan.get("kubernetes:core/v1:Secret", "credentials").inputs
    assert isinstance(secret["stringData"], Secret)
    assert secret["stringData"].value == {"password": "hunter2-hunter2"}
    assert plan.outputs["plain"] == "visible"
    assert isinstance(plan.outputs["hidden"], Secret) and repr(plan.outputs["hidden"]) == "[secret]"


def test_a_failing_program_raises_program_error_with_what_it_registered_first():
    with pytest.raises(ProgramError, match=r"builtins.RuntimeError: the program broke") as caught:
        run("failing")
    assert [r.name for r in caught.value.plan.resources] == ["before-the-error"]
    assert run("failing", check=False).error["type"] == "builtins.RuntimeError"


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


def test_a_stack_plan_reads_the_stack_file_in_the_process_that_runs_the_program(shop):
    from gitlab_k8s_cd.components.plan.runner import StackRead, start_stack_plan

    run = start_stack_plan(shop, "dev", ["replicas=4"])
    plan = run.result()
    assert run.stack == StackRead(project="shop", placeholders=(), encrypted=("shop:apiKey", "shop:db"), notes=())
    assert plan.outputs["project"] == "shop"
    plan.has_resource_properties("Deployment", {"spec": {"replicas": 4}})
    assert plan.outputs["db"] == Secret({"user": "app", "password": OFFLINE_SECRET})


def test_a_stack_plan_of_a_stack_the_cli_would_not_load_is_a_stack_file_error_naming_it(shop, tmp_path):
    from gitlab_k8s_cd.components.plan.runner import StackFileError, start_stack_plan

    with pytest.raises(StackFileError, match=r"^no stack file Pulumi\.prod\.yaml in "):
        start_stack_plan(shop, "prod").result()
    with pytest.raises(StackFileError, match=r"Pulumi\.yaml"):
        start_stack_plan(tmp_path / "nowhere", "dev").result()


def test_a_cancelled_run_is_stopped_and_leaves_no_files():
    from pathlib import Path

    from gitlab_k8s_cd.components.plan.runner import PlanRun

    request = {"target": "tests.programs.harness:sleeping", "project": "p", "stack": "s", "invokes": {}}
    run = PlanRun({**request, "config": {}, "secret_keys": []}, ROOT, None, 60)
    files = Path(run._tmp.name)
    assert files.is_dir() and run._process.poll() is None
    run.cancel()
    assert run._process.returncode is not None and not files.exists()


def test_an_error_while_a_run_is_under_way_stops_it_and_leaves_no_files():
    """The plan command loads rules and schemas while its program runs: an error or an interrupt
    there must not leave the program's process running."""
    from pathlib import Path

    from gitlab_k8s_cd.components.plan.runner import PlanRun

    request = {"target": "tests.programs.harness:sleeping", "project": "p", "stack": "s", "invokes": {}}
    with pytest.raises(KeyboardInterrupt), PlanRun({**request, "config": {}, "secret_keys": []}, ROOT, None, 60) as run:
        files = Path(run._tmp.name)
        assert run._process.poll() is None
        raise KeyboardInterrupt
    assert run._process.returncode is not None and not files.exists()
