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


TRICKY = [
    {"text": "line one\nline two\n", "trailing": "ends with spaces  ", "tab": "a\tb", "empty": ""},
    {"unicode": "héllo wörld ✓ 日本", "quote": 'it\'s "quoted"', "colon": "key: value", "hash": "a # b"},
    {"long": "word " * 60, "numberish": ["1", "1.0", "0x1F", "1e3", "yes", "no", "null", "~", "2026-11-28"]},
    {"nested": {"list": [1, 2.5, True, None, {"a": [], "b": {}}], "key with space": "v", "-dash": "-"}},
    {"control": "bell\x07", "wide": "x" * 130, "multiline folded": "a " * 70 + "\n" + "b " * 70},
]


def test_the_yaml_dumper_writes_the_values_pyyamls_safe_dumper_writes():
    """YAML_DUMPER is libyaml's emitter when PyYAML has it (its wheels do): the same values, read
    back, as the pure-Python safe dumper's; only the folding of a long double-quoted string may differ."""
    from gitlab_k8s_cd.components.plan.model import YAML_DUMPER

    assert YAML_DUMPER is yaml.CSafeDumper  # the fast path is the one tested
    text = yaml.dump_all(TRICKY, Dumper=YAML_DUMPER, sort_keys=False, width=120)
    assert list(yaml.safe_load_all(text)) == TRICKY
    assert [list(document) for document in yaml.safe_load_all(text)] == [list(document) for document in TRICKY]


def test_the_staging_plans_files_are_the_pure_python_dumpers_text(tmp_path):
    """A stack's plan files read as they did before libyaml wrote them, to the letter."""
    from tests.conftest import plan_staging

    plan = plan_staging()
    plan.write(tmp_path)
    assert (tmp_path / "kubernetes.yaml").read_text() == yaml.safe_dump_all(
        plan.manifests(), sort_keys=False, width=120
    )
    assert (tmp_path / "gitlab.yaml").read_text() == yaml.safe_dump(plan.gitlab_resources(), sort_keys=False, width=120)
