"""The plan: finding resources, manifests and the plan's files (gitlab_k8s_cd.components.plan.model)."""

from __future__ import annotations

import json

import pytest
import yaml

from gitlab_k8s_cd.components.plan.matching import Match
from gitlab_k8s_cd.components.plan.model import Plan
from gitlab_k8s_cd.components.plan.runner import run_component
from gitlab_k8s_cd.components.plan.values import REDACTED
from tests.conftest import ROOT


def run(target: str, **kwargs) -> Plan:
    return run_component(f"tests.programs.harness:{target}", cwd=ROOT, project="harness", **kwargs)


@pytest.fixture(scope="module")
def plan():
    return run("numbers_and_secrets")


def test_find_and_get_by_type_and_name(plan):
    assert [r.name for r in plan.find("kubernetes:core/v1:ConfigMap")] == ["settings"]
    assert [r.name for r in plan.kind("Secret")] == ["credentials"]
    with pytest.raises(
        AssertionError,
        match=r"expected one kubernetes:core/v1:ConfigMap named 'nope', found 0 "
        r"\(names of that type: settings\)",
    ):
        plan.get("kubernetes:core/v1:ConfigMap", "nope")


def test_manifests_are_redacted_but_keep_their_shape(plan):
    manifest = plan.get("kubernetes:core/v1:Secret", "credentials").manifest()
    assert manifest["stringData"] == {"password": "[secret]"}
    assert list(manifest)[:3] == ["apiVersion", "kind", "metadata"]
    assert plan.get("kubernetes:core/v1:Secret", "credentials").manifest(redacted=False)["stringData"] == {
        "password": "hunter2-hunter2"
    }


def test_write_dumps_manifests_and_gitlab_resources_without_secret_values(plan, tmp_path):
    files = plan.write(tmp_path)
    assert sorted(f.name for f in files) == ["gitlab.yaml", "kubernetes.yaml", "outputs.json", "resources.json"]
    for file in files:
        assert "hunter2" not in file.read_text() and "s3cr3t" not in file.read_text()
    # The stack's outputs, as `pulumi stack output --json` shows them: a secret one redacted.
    assert json.loads((tmp_path / "outputs.json").read_text()) == {"count": 3, "hidden": "[secret]", "plain": "visible"}
    documents = list(yaml.safe_load_all((tmp_path / "kubernetes.yaml").read_text()))
    assert [d["kind"] for d in documents] == ["Secret", "ConfigMap", "Deployment"]  # apply order


def test_assertions_on_a_planned_program(plan):
    plan.has_resource_properties("Deployment", {"spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}}})
    plan.has_resource_properties("ConfigMap", {"metadata": {"name": Match.any_value()}, "data": {"VALUE": "one"}})
    plan.resource_count_is("kubernetes:core/v1:Secret", 1, {"stringData": {"password": REDACTED}})
