"""Processes beside web (gitlab_k8s_cd.components.process, rendered by gitlab_k8s_cd.components.workload): one image, a
Deployment each, an exec probe or a stated reason for none, and autoscalers."""

from __future__ import annotations

import pytest

from gitlab_k8s_cd.components import (
    AppSpec,
    AutoscalingArgs,
    ExecProbeArgs,
    InvalidArgument,
    ProcessSpec,
    ResourcesArgs,
)
from gitlab_k8s_cd.components.plan.kubernetes_schema import validate_manifests
from gitlab_k8s_cd.components.process import NO_PROBE_REASON_ANNOTATION, check_process_name
from tests.conftest import component

WORKER = ProcessSpec(command=["/app/worker"], liveness_probe=ExecProbeArgs(command=["/app/worker", "--check"]))


@pytest.fixture(scope="module")
def plan():
    return component("workloads")


def manifests(plan, kind):
    return {
        m["metadata"]["name"]: m for m in plan.manifests() if m["kind"] == kind and m["metadata"]["name"][:4] == "many"
    }


def container(deployment):
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return only


def test_every_process_is_a_deployment_of_its_own_from_the_one_image(plan):
    deployments = manifests(plan, "Deployment")
    assert sorted(deployments) == ["many", "many-scheduler", "many-worker"]
    images = {container(d)["image"] for d in deployments.values()}
    assert images == {"registry.example.com/acme/many@sha256:" + "ef" * 32}
    # The same settings and secrets reach every process.
    sources = {str(container(d)["envFrom"]) for d in deployments.values()}
    assert len(sources) == 1


def test_a_process_runs_its_own_command_with_no_port_and_its_own_selector(plan):
    worker = manifests(plan, "Deployment")["many-worker"]
    app = container(worker)
    assert app["name"] == "worker" and app["command"] == ["/app/worker"] and "args" not in app
    assert "ports" not in app
    selector = worker["spec"]["selector"]["matchLabels"]
    assert selector["app.kubernetes.io/component"] == "worker"
    assert worker["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] == "worker"
    assert worker["spec"]["replicas"] == 3
    scheduler = container(manifests(plan, "Deployment")["many-scheduler"])
    assert scheduler["args"] == ["schedule"] and "command" not in scheduler


def test_no_selector_of_one_process_matches_another_processes_pods(plan):
    """Overlapping selectors would let two Deployments fight over pods, and the Service send
    traffic to a worker with no port."""
    deployments = manifests(plan, "Deployment")
    selectors = {
        name: d["spec"]["selector"]["matchLabels"]
        for name, d in {**deployments, **manifests(plan, "PodDisruptionBudget")}.items()
    }
    selectors["service"] = manifests(plan, "Service")["many"]["spec"]["selector"]
    for name, deployment in deployments.items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        matching = {other for other, selector in selectors.items() if selector.items() <= labels.items()}
        assert matching == ({name, "service"} if name == "many" else {name}) & set(selectors), name


def test_an_exec_liveness_probe_is_also_the_readiness_probe_by_default(plan):
    worker = container(manifests(plan, "Deployment")["many-worker"])
    probe = {
        "exec": {"command": ["/app/worker", "--check"]},
        "initialDelaySeconds": 0,
        "periodSeconds": 30,
        "timeoutSeconds": 1,
        "failureThreshold": 3,
    }
    assert worker["livenessProbe"] == worker["readinessProbe"] == probe


def test_a_process_without_probes_states_why_for_people_the_policy_pack_and_checkov(plan):
    scheduler = manifests(plan, "Deployment")["many-scheduler"]
    assert "livenessProbe" not in container(scheduler) and "readinessProbe" not in container(scheduler)
    annotations = scheduler["metadata"]["annotations"]
    reason = "it exits on any error, and the kubelet restarts it"
    assert annotations[NO_PROBE_REASON_ANNOTATION] == reason
    assert annotations["checkov.io/skip1"] == f"CKV_K8S_35={_secrets_reason()}"
    assert annotations["checkov.io/skip2"] == f"CKV_K8S_8={reason}"
    assert annotations["checkov.io/skip3"] == f"CKV_K8S_9={reason}"


def _secrets_reason():
    from gitlab_k8s_cd.components.pod_template import SECRETS_AS_ENVIRONMENT_REASON

    return SECRETS_AS_ENVIRONMENT_REASON


def test_a_process_inherits_the_apps_resources_unless_it_sets_its_own(plan):
    deployments = manifests(plan, "Deployment")
    assert container(deployments["many-worker"])["resources"] == container(deployments["many"])["resources"]
    assert container(deployments["many-scheduler"])["resources"]["requests"]["cpu"] == "10m"


def test_an_autoscaled_process_sets_no_replicas_and_its_autoscaler_targets_its_deployment(plan):
    deployments, autoscalers = manifests(plan, "Deployment"), manifests(plan, "HorizontalPodAutoscaler")
    assert sorted(autoscalers) == ["many", "many-scheduler"]
    for name in autoscalers:
        # Pulumi never sets what the autoscaler owns (docs/contracts.md KH-1); the Deployment states
        # its fewest pods instead, for the policy pack's rollout check.
        assert "replicas" not in deployments[name]["spec"], name
        minimum = str(autoscalers[name]["spec"]["minReplicas"])
        assert deployments[name]["metadata"]["annotations"]["gitlab-k8s-cd/min-replicas"] == minimum
        assert autoscalers[name]["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": name,
        }
    assert autoscalers["many"]["spec"] == {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "many"},
        "minReplicas": 2,
        "maxReplicas": 6,
        "metrics": [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
            }
        ],
    }
    memory = autoscalers["many-scheduler"]["spec"]["metrics"]
    assert memory == [
        {
            "type": "Resource",
            "resource": {"name": "memory", "target": {"type": "Utilization", "averageUtilization": 70}},
        }
    ]


def test_a_disruption_budget_guards_each_process_that_may_run_more_than_one_pod(plan):
    """An autoscaled process's budget is sized by its maxReplicas: it may scale out."""
    budgets = manifests(plan, "PodDisruptionBudget")
    assert sorted(budgets) == ["many", "many-scheduler", "many-worker"]
    for name, budget in budgets.items():
        assert budget["spec"]["maxUnavailable"] == 1
        assert budget["spec"]["selector"] == manifests(plan, "Deployment")[name]["spec"]["selector"]


def test_the_component_plans_manifests_validate_strictly(plan):
    assert validate_manifests(plan.manifests(), "1.31") == []


def test_the_peak_counts_every_process_at_its_most_pods_plus_surge():
    spec = AppSpec(
        replicas=2,
        processes={
            "worker": WORKER,
            "scaled": ProcessSpec(args=["x"], no_probe_reason="why", autoscaling=AutoscalingArgs(max_replicas=8)),
        },
    )
    # web 2 + 1, worker 1 + 1, scaled 8 + 2 (25% of 8).
    assert spec.peak_usage()["pods"] == 15
    assert spec.peak_text() == (
        "web: replicas 2 + maxSurge 1, worker: replicas 1 + maxSurge 1, scaled: maxReplicas 8 + maxSurge 2"
    )


def test_a_review_app_runs_one_pod_of_each_process_without_autoscalers():
    spec = AppSpec(
        autoscaling=AutoscalingArgs(max_replicas=5),
        processes={"worker": ProcessSpec(command=["w"], no_probe_reason="why", replicas=4)},
    ).for_review()
    assert [(p.name, p.most, p.autoscaling) for p in spec.running()] == [("web", 1, None), ("worker", 1, None)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"liveness_probe": WORKER.liveness_probe}, r"^command and args: one is required"),
        ({"command": ["w"]}, r"^liveness_probe and no_probe_reason: one is required"),
        (
            {"command": ["w"], "liveness_probe": WORKER.liveness_probe, "no_probe_reason": "x"},
            r"^liveness_probe and no_probe_reason: only one may be set",
        ),
        ({"command": "w --x", "no_probe_reason": "x"}, r"^command: must be a list of strings"),
        ({"command": ["w", 3], "no_probe_reason": "x"}, r"^command\[1\]: must be a string"),
        ({"command": ["w"], "no_probe_reason": "two\nlines"}, r"^no_probe_reason: must be a single line"),
        ({"command": ["w"], "no_probe_reason": " "}, r"^no_probe_reason: must be a single line of text, not empty"),
        ({"command": ["w"], "no_probe_reason": "x", "replicas": 0}, r"^replicas: must be an integer ≥ 1"),
    ],
)
def test_process_spec_refuses_what_would_hurt(kwargs, message):
    with pytest.raises(InvalidArgument, match=message):
        ProcessSpec(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_replicas": 0}, r"^max_replicas: must be an integer ≥ 1"),
        ({"max_replicas": 3, "min_replicas": 0}, r"^min_replicas: must be an integer ≥ 1"),
        ({"max_replicas": 2, "min_replicas": 3}, r"^max_replicas and min_replicas: maxReplicas must be at least"),
        ({"max_replicas": 3, "cpu_utilization": 0}, r"^cpu_utilization: must be an integer ≥ 1"),
        ({"max_replicas": 3, "cpu_utilization": None}, r"^cpu_utilization and memory_utilization: at least one"),
    ],
)
def test_autoscaling_args_refuse_what_the_api_server_would(kwargs, message):
    """autoscaling/v2 validation: minReplicas ≥ 1, maxReplicas ≥ minReplicas, averageUtilization ≥ 1
    (docs/contracts.md KH-2)."""
    with pytest.raises(InvalidArgument, match=message):
        AutoscalingArgs(**kwargs)


def test_a_credential_in_a_command_line_is_refused_unshown():
    token = "glpat-" + "x1Y" * 8
    with pytest.raises(InvalidArgument, match=r"^args\[1\]: looks like a GitLab token") as refused:
        ProcessSpec(args=["--token", token], no_probe_reason="x")
    assert token not in str(refused.value)


@pytest.mark.parametrize(
    ("name", "message"), [("web", "is reserved"), ("migrate", "is reserved"), ("Worker", "DNS-1123")]
)
def test_process_names_are_labels_and_never_web_or_migrate(name, message):
    with pytest.raises(InvalidArgument, match=message):
        check_process_name("processes", name)


def test_app_spec_refuses_a_rollout_that_takes_a_process_down_at_its_fewest_pods():
    scaled = ProcessSpec(
        args=["x"],
        no_probe_reason="why",
        autoscaling=AutoscalingArgs(min_replicas=1, max_replicas=4),
        rollout=_rollout(max_unavailable=1),
    )
    with pytest.raises(
        InvalidArgument,
        match=r"^processes\['scaled'\].rollout.max_unavailable and processes\['scaled'\].autoscaling.min_replicas: "
        r"a rollout of process scaled may take 1 of 1 pods down",
    ):
        AppSpec(processes={"scaled": scaled})


def test_a_process_with_its_own_resources_keeps_them():
    own = ResourcesArgs(cpu_request="1", cpu_limit="2")
    spec = AppSpec(processes={"worker": ProcessSpec(command=["w"], no_probe_reason="x", resources=own)})
    assert spec.running()[1].resources is own


def _rollout(**kwargs):
    from gitlab_k8s_cd.components import RolloutArgs

    return RolloutArgs(**kwargs)
