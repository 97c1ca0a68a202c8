"""The canary track (gitlab_k8s_cd.components.canary): web's canary Deployment beside the stable one,
behind the same Service, each selecting its own pods alone; the quota sized for it; nothing else of
the stack changed by a canary coming or going."""

from __future__ import annotations

import dataclasses

import pytest

from gitlab_k8s_cd.components import AppSpec, ConfigError, InvalidArgument, WorkloadArgs, names
from gitlab_k8s_cd.components.canary import TRACK_LABEL, CanarySpec
from gitlab_k8s_cd.components.config import NAMESPACE
from gitlab_k8s_cd.components.image_reference import ImageReference
from gitlab_k8s_cd.components.quota import object_counts
from gitlab_k8s_cd.components.review_config import derive_review_config
from tests.conftest import CANARY, CANARY_IMAGE, CANARY_TRACK, STABLE_TRACE, STAGING, key, load

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
STABLE = "hello-workload-deployment"
CANARY_DEPLOYMENT = "hello-workload-canary-deployment"


def selects(selector, labels):
    """Whether a ``matchLabels`` selector selects a pod with ``labels``."""
    return selector.items() <= labels.items()


def pod_labels(deployment):
    return deployment["spec"]["template"]["metadata"]["labels"]


def test_the_canary_is_webs_pod_spec_with_its_own_image_and_replicas(canary_plan):
    stable = canary_plan.get(DEPLOYMENT, STABLE).inputs
    canary = canary_plan.get(DEPLOYMENT, CANARY_DEPLOYMENT).inputs
    assert (canary["metadata"]["name"], canary["metadata"]["namespace"]) == ("hello-canary", "hello-staging")
    assert canary["metadata"]["name"] == names.canary_workload("hello")
    assert canary["spec"]["replicas"] == 2
    (container,) = canary["spec"]["template"]["spec"]["containers"]
    assert container["image"] == CANARY_IMAGE
    assert stable["spec"]["template"]["spec"]["containers"][0]["image"] == STAGING[key("image")]
    # Everything else of the pod is web's: its settings, secrets, probes, port, account and security.
    assert {**container, "image": None} == {**stable["spec"]["template"]["spec"]["containers"][0], "image": None}
    assert {**canary["spec"]["template"]["spec"], "containers": None} == {
        **stable["spec"]["template"]["spec"],
        "containers": None,
    }
    # It rolls as web does, and Pulumi waits for it as long.
    for field in ("strategy", "minReadySeconds", "progressDeadlineSeconds", "revisionHistoryLimit"):
        assert canary["spec"][field] == stable["spec"][field], field
    assert canary["metadata"]["annotations"]["pulumi.com/timeoutSeconds"] == "300"


def test_the_two_tracks_never_select_each_others_pods_and_the_service_selects_both(canary_plan):
    """Overlapping Deployment selectors make the controllers fight over the pods (docs/contracts.md KA-13)."""
    deployments = {d.inputs["metadata"]["name"]: d.inputs for d in canary_plan.kind("Deployment")}
    assert set(deployments) == {"hello", "hello-worker", "hello-canary"}
    for name, deployment in deployments.items():
        selector = deployment["spec"]["selector"]["matchLabels"]
        for other, pods in deployments.items():
            assert selects(selector, pod_labels(pods)) == (name == other), (name, other)
    stable, canary = deployments["hello"], deployments["hello-canary"]
    assert pod_labels(stable)[TRACK_LABEL] == "stable" and pod_labels(canary)[TRACK_LABEL] == "canary"
    assert pod_labels(canary)["app.kubernetes.io/component"] == "web"
    (service,) = [s.inputs for s in canary_plan.kind("Service")]
    policy = canary_plan.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "hello-workload-allow-http").inputs
    for routes in (service["spec"]["selector"], policy["spec"]["podSelector"]["matchLabels"]):
        assert TRACK_LABEL not in routes
        assert selects(routes, pod_labels(stable)) and selects(routes, pod_labels(canary))
        assert not selects(routes, pod_labels(deployments["hello-worker"]))
    # The budget covers web's stable pods; the canary has no budget and no autoscaler of its own.
    (budget,) = [b.inputs for b in canary_plan.kind("PodDisruptionBudget")]
    assert selects(budget["spec"]["selector"]["matchLabels"], pod_labels(stable))
    assert not selects(budget["spec"]["selector"]["matchLabels"], pod_labels(canary))
    assert [r for r in canary_plan.resources if r.name.startswith("hello-workload-canary")] == [
        canary_plan.get(DEPLOYMENT, CANARY_DEPLOYMENT)
    ]


def test_canary_pods_carry_the_canarys_trace_and_webs_keep_theirs(canary_plan):
    stable = canary_plan.get(DEPLOYMENT, STABLE).inputs
    canary = canary_plan.get(DEPLOYMENT, CANARY_DEPLOYMENT).inputs
    for annotated in (canary["metadata"]["annotations"], canary["spec"]["template"]["metadata"]["annotations"]):
        assert annotated["gitlab-k8s-cd/commit-sha"] == CANARY["canaryCommitSha"]
        assert annotated["gitlab-k8s-cd/pipeline-url"] == CANARY["canaryPipelineUrl"]
        assert annotated["gitlab-k8s-cd/job-url"] == CANARY["canaryJobUrl"]
        assert annotated["app.gitlab.com/env"] == "staging"  # GitLab's environment page lists its pods too
    web = stable["spec"]["template"]["metadata"]["annotations"]
    assert web["gitlab-k8s-cd/commit-sha"] == STABLE_TRACE["commitSha"]
    assert web["gitlab-k8s-cd/job-url"] == STABLE_TRACE["jobUrl"]
    # The secret settings roll both tracks alike.
    version = "gitlab-k8s-cd/secrets-version"
    assert canary["spec"]["template"]["metadata"]["annotations"][version] == web[version]


def test_a_canary_coming_or_going_changes_nothing_else_of_the_stack(canary_plan, canary_track_plan):
    """deploy-canary adds the canary Deployment and changes nothing else (web's Deployment above
    all); promote and abort remove it the same way. Its image is a stack output, "" without one."""

    def inputs(plan):
        return {r.urn: r.inputs for r in plan.resources if r.name != CANARY_DEPLOYMENT}

    assert inputs(canary_plan) == inputs(canary_track_plan)
    assert [r.name for r in canary_track_plan.kind("Deployment")] == [
        "hello-workload-deployment",
        "hello-workload-worker-deployment",
    ]
    assert canary_plan.outputs["canary_image"] == CANARY_IMAGE
    assert canary_track_plan.outputs["canary_image"] == ""
    # web's deploy trace, which the deploy tool gives back to a deploy-canary or abort run.
    assert canary_plan.outputs["trace"] == canary_track_plan.outputs["trace"] == STABLE_TRACE
    assert canary_plan.outputs["image"] == STAGING[key("image")]


def test_the_quota_is_sized_for_the_canarys_pods_whether_or_not_one_runs():
    """Declaring the track is what sizes it: CI turns the canary on without an admin run."""
    plain, track = load().deployment.spec, load(CANARY_TRACK).deployment.spec
    # Two canary pods and their rollout's surge (25% of 2, rounded up: 1), each web's resources.
    assert track.peak_usage()["pods"] - plain.peak_usage()["pods"] == 3
    assert track.peak_usage()["requests.cpu"] - plain.peak_usage()["requests.cpu"] == 3 * (
        plain.peak_usage()["requests.cpu"] - load({"replicas": 1}).deployment.spec.peak_usage()["requests.cpu"]
    )
    # A promotion runs the new image's migration while the canary still runs.
    assert track.migration_usage()["pods"] - plain.migration_usage()["pods"] == 2
    assert "canary: replicas 2 + maxSurge 1" in track.peak_text()
    # The canary's Deployment and its ReplicaSets (web's history of 5, the current and a new one); no budget.
    without, with_track = (object_counts(spec, review=False, ingress=True) for spec in (plain, track))
    assert with_track["count/deployments.apps"] == without["count/deployments.apps"] + 1
    assert with_track["count/replicasets.apps"] == without["count/replicasets.apps"] + 5 + 2
    assert with_track["count/poddisruptionbudgets.policy"] == without["count/poddisruptionbudgets.policy"]


def test_a_quota_that_admits_the_app_but_not_its_canary_is_refused_at_config_time():
    # Staging's peak is 6 pods (web 2 + 1, the worker 1 + 1, cert-manager's solver 1); the canary adds 3.
    assert load({"quota": {"pods": "8"}}).deployment.quota == {"pods": "8"}
    with pytest.raises(ConfigError) as refused:
        load({**CANARY_TRACK, "quota": {"pods": "8"}})
    assert refused.value.keys == (f"{NAMESPACE}:quota.pods",)
    assert "peak of 9 pods" in str(refused.value) and "canary: replicas 2 + maxSurge 1" in str(refused.value)
    assert load({**CANARY_TRACK, "quota": {"pods": "9"}}).deployment.quota == {"pods": "9"}


def test_a_canary_image_needs_a_declared_track_a_digest_and_the_images_registry():
    running = load(CANARY).deployment
    assert running.canary_image == CANARY_IMAGE and running.spec.canary == CanarySpec(replicas=2)
    with pytest.raises(InvalidArgument, match=r"^canary_image and spec.canary: a canary image needs a canary track"):
        dataclasses.replace(running, spec=dataclasses.replace(running.spec, canary=None))
    with pytest.raises(InvalidArgument, match="must be pinned by digest"):
        dataclasses.replace(running, canary_image="registry.gitlab.com/acme/hello:2.0")
    with pytest.raises(InvalidArgument, match=r"must be in the image's registry \(registry.gitlab.com\)"):
        dataclasses.replace(running, canary_image="quay.io/acme/hello@sha256:" + "ef" * 32)
    # Empty is none: what the deploy tool's promote, abort and rollback runs give.
    assert load({**CANARY_TRACK, "canaryImage": "", "canaryCommitSha": ""}).deployment.canary_image is None


def test_the_canarys_migration_is_not_run_the_job_stays_the_stable_images():
    """A canary runs the new code against the schema the stable image migrated to; its own
    migration runs when it is promoted, before web rolls out to it (README, "Canary")."""
    migrate = {"migration": {"command": ["python3", "-m", "hello.migrate"]}}
    workload = load({**CANARY, **migrate}).deployment.workload_args()
    assert workload.migration_job_name == names.migration_job(
        "hello", ImageReference.parse("image", STAGING[key("image")])
    )
    assert workload.canary_image == CANARY_IMAGE


def test_review_apps_get_no_canary():
    base = {**STAGING, **{key(k): v for k, v in CANARY.items()}}
    review = derive_review_config(base, namespace=NAMESPACE, merge_request_iid=7, environment="review/x")
    assert not [k for k in review if "canary" in k.lower()]
    assert load(CANARY_TRACK).deployment.spec.for_review().canary is None


def test_canary_spec_refuses_what_no_canary_could_run():
    assert CanarySpec().replicas == 1
    for replicas in (0, -1, "1", True):
        with pytest.raises(InvalidArgument, match=r"^replicas: "):
            CanarySpec(replicas=replicas)
    with pytest.raises(InvalidArgument, match=r"^canary: must be a CanarySpec"):
        AppSpec(canary={"replicas": 1})


def test_a_workload_runs_a_canary_by_the_same_rules_save_the_registry_its_own_pull_secrets_cover():
    """One rule set (canary.check_canary) for WorkloadArgs and ContinuousDeploymentArgs, checked in
    the same order: the track before the image is even parsed, then the digest."""
    image = "registry.gitlab.com/acme/hello@sha256:" + "ab" * 32
    track = AppSpec(canary=CanarySpec())

    def workload(canary_image, spec=track):
        return WorkloadArgs(
            app="hello", instance="hello-x", namespace="n", image=image, canary_image=canary_image, spec=spec
        )

    with pytest.raises(InvalidArgument, match=r"^canary_image and spec.canary: a canary image needs a canary track"):
        workload("not an image", spec=AppSpec())
    with pytest.raises(InvalidArgument, match=r"^canary_image: must be pinned by digest"):
        workload("registry.gitlab.com/acme/hello:2.0")
    elsewhere = "quay.io/acme/hello@sha256:" + "ef" * 32
    assert workload(elsewhere).canary_image_reference.registry == "quay.io"
