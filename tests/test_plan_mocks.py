"""What the mock runtime answers in place of the providers (gitlab_k8s_cd.components.plan.mocks)."""

from __future__ import annotations

import pytest

from gitlab_k8s_cd.components.plan.model import Plan
from gitlab_k8s_cd.components.plan.runner import run_component
from tests.conftest import ROOT


def run(target: str, **kwargs) -> Plan:
    return run_component(f"tests.programs.harness:{target}", cwd=ROOT, project="harness", **kwargs)


@pytest.fixture(scope="module")
def plan():
    return run("numbers_and_secrets")


def test_autonamed_objects_get_a_name_that_changes_when_a_replacement_would(plan):
    name = plan.get("kubernetes:core/v1:ConfigMap", "settings").inputs["metadata"]["name"]
    assert name.startswith("settings-")
    changed = run("numbers_and_secrets", config={"harness:value": "two"})
    assert changed.get("kubernetes:core/v1:ConfigMap", "settings").inputs["metadata"]["name"] != name
    assert (
        changed.get("kubernetes:apps/v1:Deployment", "web").inputs["metadata"]["name"]
        == (plan.get("kubernetes:apps/v1:Deployment", "web").inputs["metadata"]["name"])
    )


def test_invokes_get_default_answers_that_a_caller_can_override():
    assert run("group_lookup").outputs["group_id"] == 4242
    overridden = run("group_lookup", invokes={"gitlab:index/getGroup:getGroup": {"id": "9", "groupId": 9}})
    assert overridden.outputs["group_id"] == 9


def test_an_autoname_hashes_the_replacing_inputs_only_and_a_given_name_is_kept():
    from gitlab_k8s_cd.components.plan.mocks import computed_state

    def name(inputs):
        return computed_state("kubernetes:apps/v1:Deployment", "web", inputs)["metadata"]["name"]

    base = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"namespace": "a"}, "spec": {"selector": 1}}
    assert name(base).startswith("web-") and len(name(base)) == len("web-") + 8
    assert name({**base, "spec": {"selector": 1, "replicas": 5}}) == name(base)  # an update keeps the name
    assert name({**base, "spec": {"selector": 2}}) != name(base)  # a replacement gets a new one
    assert name({**base, "metadata": {"namespace": "b"}}) != name(base)
    assert name({**base, "metadata": {"name": "fixed"}}) == "fixed"


def test_provider_made_secrets_are_deterministic_and_marked_secret():
    from gitlab_k8s_cd.components.plan.mocks import computed_state
    from gitlab_k8s_cd.components.plan.values import SECRET_SIG, SIG_KEY

    token = computed_state("gitlab:index/projectAccessToken:ProjectAccessToken", "ci", {"name": "ci"})["token"]
    assert token[SIG_KEY] == SECRET_SIG and token["value"].startswith("glpat-offline-plan-")
    again = computed_state("gitlab:index/projectAccessToken:ProjectAccessToken", "ci", {"name": "ci"})["token"]
    other = computed_state("gitlab:index/projectAccessToken:ProjectAccessToken", "cd", {"name": "cd"})["token"]
    assert again == token != other
