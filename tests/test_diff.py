"""The offline diff: create, update, replace and delete, and the footprint of a deploy."""

from __future__ import annotations

import copy

import pytest

from gitlab_k8s_cd.components.plan.diff import compare, differences
from tests.conftest import DIGEST, plan_staging

DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def resource(urn, type_="kubernetes:apps/v1:Deployment", **inputs):
    return {"urn": urn, "type": type_, "name": urn, "inputs": inputs}


def test_differences_name_the_paths_that_changed():
    old = {"spec": {"replicas": 2, "containers": [{"image": "a"}, {"image": "b"}]}, "x": 1}
    new = {"spec": {"replicas": 3, "containers": [{"image": "a"}, {"image": "c"}]}, "x": 1}
    assert list(differences(old, new)) == ["spec.containers[1].image", "spec.replicas"]


def test_compare_classifies_create_update_replace_and_delete():
    before = [resource("a", spec={"replicas": 2}), resource("b", spec={"selector": {"app": "x"}}), resource("gone")]
    after = [resource("a", spec={"replicas": 3}), resource("b", spec={"selector": {"app": "y"}}), resource("new")]
    comparison = compare(before, after)
    assert {(c.name, c.action) for c in comparison.changes} == {
        ("a", "update"),
        ("b", "replace"),
        ("gone", "delete"),
        ("new", "create"),
    }
    assert comparison.of("replace")[0].replaced_by == ("spec.selector.app",)
    assert comparison.summary() == "1 to create, 1 to update, 1 to replace, 1 to delete, 0 unchanged"


def test_a_config_map_change_is_a_replacement_because_pulumi_treats_it_as_immutable():
    before = [resource("cm", "kubernetes:core/v1:ConfigMap", data={"A": "1"})]
    after = [resource("cm", "kubernetes:core/v1:ConfigMap", data={"A": "2"})]
    assert compare(before, after).changes[0].action == "replace"


def test_a_jobs_template_change_replaces_it_and_its_ttl_change_does_not():
    """pulumi-kubernetes replaces a Job for its completions, parallelism, selector and template,
    not for the rest of its spec (docs/contracts.md PK-9)."""
    job = "kubernetes:batch/v1:Job"
    before = [resource("job", job, spec={"template": {"spec": {"image": "a"}}, "ttlSecondsAfterFinished": 60})]
    retemplated = [resource("job", job, spec={"template": {"spec": {"image": "b"}}, "ttlSecondsAfterFinished": 60})]
    kept = [resource("job", job, spec={"template": {"spec": {"image": "a"}}, "ttlSecondsAfterFinished": 600})]
    assert compare(before, retemplated).changes[0].action == "replace"
    assert compare(before, kept).changes[0].action == "update"


def test_a_services_cluster_ips_list_is_not_a_replacement_path_but_its_cluster_ip_is():
    service = "kubernetes:core/v1:Service"
    before = [resource("svc", service, spec={"clusterIP": "10.0.0.1", "clusterIPs": ["10.0.0.1"]})]
    after_ips = [resource("svc", service, spec={"clusterIP": "10.0.0.1", "clusterIPs": ["10.0.0.2"]})]
    after_ip = [resource("svc", service, spec={"clusterIP": "10.0.0.2", "clusterIPs": ["10.0.0.1"]})]
    assert compare(before, after_ips).changes[0].action == "update"
    assert compare(before, after_ip).changes[0].action == "replace"


@pytest.fixture(scope="module")
def bumped():
    """The staging stack deploying another image."""
    return plan_staging({"image": f"registry.gitlab.com/acme/hello@{DIGEST}"})


@pytest.fixture(scope="module")
def image_bump(staging_plan, bumped):
    return compare(staging_plan.resource_table(), bumped.resource_table())


def test_an_image_bump_updates_exactly_each_process_deployment_and_replaces_nothing(image_bump, staging_plan):
    assert [(c.action, c.type) for c in image_bump.changes] == [("update", DEPLOYMENT)] * 2  # web, worker
    for change in image_bump.changes:
        assert change.fields == ("spec.template.spec.containers[0].image",)
    assert image_bump.unchanged == len(staging_plan.resources) - 2


def test_a_settings_change_replaces_the_config_map_and_rolls_the_deployment(staging_plan):
    changed = plan_staging({"settings": {"LOG_LEVEL": "debug", "GREETING": "Hello from staging"}})
    comparison = compare(staging_plan.resource_table(), changed.resource_table())
    actions = sorted((c.action, c.type.split(":")[-1]) for c in comparison.changes)
    assert actions == [("replace", "ConfigMap"), ("update", "Deployment"), ("update", "Deployment")]
    for deployment in (c for c in comparison.changes if c.type == DEPLOYMENT):
        assert deployment.fields == ("spec.template.spec.containers[0].envFrom[0].configMapRef.name",)


# --- An autoscaled process: a deploy after a scale-out changes nothing but the image -----------


def _scaled_out(inputs, replicas):
    """The live Deployment once the autoscaler has scaled it out: what the API server adds (status,
    defaults, server metadata) and the ``replicas`` the autoscaler wrote."""
    live = copy.deepcopy(inputs)
    live["metadata"].update(uid="4f7c", resourceVersion="8812", generation=9, creationTimestamp="2026-11-01T00:00:00Z")
    live["spec"]["replicas"] = replicas
    live["spec"]["template"]["spec"].update(dnsPolicy="ClusterFirst", restartPolicy="Always")
    live["status"] = {"replicas": replicas, "readyReplicas": replicas, "observedGeneration": 9}
    return live


@pytest.mark.parametrize(("autoscaled", "expected"), [(True, []), (False, ["spec.replicas"])])
def test_a_deploy_after_a_scale_out_changes_nothing_but_the_image_when_the_autoscaler_owns_replicas(
    autoscaled, expected, staging_plan, bumped
):
    """The plan diff, as pulumi-kubernetes computes it: the new inputs against the live object
    pruned to the old inputs' shape (tests/pruned_live.py, docs/contracts.md KH-1). With an
    autoscaler the Deployment sets no replicas, so the deploy changes the image alone; with fixed
    replicas the same deploy would put them back (4 to 2), undoing the scale-out."""
    from tests.pruned_live import prune_map

    if autoscaled:
        overrides, drop = {"autoscaling": {"minReplicas": 2, "maxReplicas": 4}}, ("replicas",)
        before = plan_staging(overrides, drop=drop)
        after = plan_staging({**overrides, "image": f"registry.gitlab.com/acme/hello@{DIGEST}"}, drop=drop)
    else:
        before, after = staging_plan, bumped  # replicas: 2
    old_inputs = before.get(DEPLOYMENT, "hello-workload-deployment").inputs
    new_inputs = after.get(DEPLOYMENT, "hello-workload-deployment").inputs
    pruned = prune_map(_scaled_out(old_inputs, 4), old_inputs)
    assert sorted(differences(pruned, new_inputs)) == sorted(["spec.template.spec.containers[0].image", *expected])
    if autoscaled:
        assert before.kind("HorizontalPodAutoscaler")[0].inputs["spec"]["maxReplicas"] == 4


def test_the_pruning_stand_in_keeps_what_the_old_inputs_set_and_drops_the_rest():
    """tests/pruned_live.py against pruneMap's own cases (pulumi-kubernetes util.go l. 234-319)."""
    from tests.pruned_live import prune_map

    live = {"a": 1, "b": {"c": 2, "d": 3}, "e": [{"f": 4, "g": 5}, {"f": 6}], "h": "x", "i": 7}
    inputs = {"a": 0, "b": {"c": 0}, "e": [{"f": 0}], "h": 8}
    assert prune_map(live, inputs) == {"a": 1, "b": {"c": 2}, "e": [{"f": 4}], "h": "x"}
    assert prune_map(None, inputs) is None and prune_map(live, None) is None
