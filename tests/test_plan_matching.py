"""Partial matching of inputs: Plan.has_resource_properties, Match (gitlab_k8s_cd.components.plan.matching)."""

from __future__ import annotations

import pytest

from gitlab_k8s_cd.components.plan.matching import Match
from gitlab_k8s_cd.components.plan.model import Plan, PlannedResource
from gitlab_k8s_cd.components.plan.values import REDACTED, Secret

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
