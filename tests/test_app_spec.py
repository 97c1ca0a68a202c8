"""How the app runs: its spec refuses a rollout Kubernetes would change or that takes every pod
down, and adds up the pods and resources a rollout peaks at."""

from __future__ import annotations

import pytest

from gitlab_k8s_cd.components import AppSpec, InvalidArgument, ResourcesArgs, RolloutArgs


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"replicas": 0}, r"^replicas: must be an integer ≥ 1 \(got 0\)"),
        ({"replicas": -2}, r"^replicas: must be an integer ≥ 1"),
        ({"container_port": 0}, r"^container_port: must be an integer from 1 to 65535"),
        ({"service_port": 65536}, r"^service_port: must be an integer from 1 to 65535"),
        ({"settings": {"N": 1}}, r"values must be strings"),
        ({"run_as_user": 0}, r"^run_as_user: must be an integer ≥ 1"),
    ],
)
def test_app_spec_rejects_bad_values(kwargs, message):
    with pytest.raises(InvalidArgument, match=message):
        AppSpec(**kwargs)


@pytest.mark.parametrize(
    ("replicas", "rollout", "expected"),
    [
        (2, {"max_unavailable": 2}, r"^rollout.max_unavailable and replicas: a rollout may take 2 of 2 pods down"),
        (3, {"max_unavailable": 5}, r"take 5 of 3 pods down, i.e. all of them"),
        (1, {"max_unavailable": 1}, r"take 1 of 1 pods down"),
        (
            2,
            {"max_surge": "0%", "max_unavailable": "10%"},
            r"^rollout.max_surge and rollout.max_unavailable: both round",
        ),
        (3, {"max_surge": 0, "max_unavailable": "30%"}, r"both round to 0 pods for 3 replicas"),
    ],
)
def test_a_rollout_that_takes_every_pod_down_or_that_kubernetes_would_change_is_refused(replicas, rollout, expected):
    """maxSurge rounds up and maxUnavailable down (GetScaledValueFromIntOrPercent); both at 0 and
    the controller takes one pod down anyway (ResolveFenceposts): docs/contracts.md KA-1."""
    with pytest.raises(InvalidArgument, match=expected):
        AppSpec(replicas=replicas, rollout=RolloutArgs(**rollout))


@pytest.mark.parametrize(
    ("replicas", "rollout", "bounds"),
    [
        (2, {}, (1, 0)),
        (4, {"max_unavailable": "25%"}, (1, 1)),
        (10, {"max_surge": "25%"}, (3, 0)),
        (3, {"max_surge": 2}, (2, 0)),
    ],
)
def test_rollout_bounds_are_resolved_against_replicas(replicas, rollout, bounds):
    assert AppSpec(replicas=replicas, rollout=RolloutArgs(**rollout)).rollout_bounds == bounds


def test_a_rollouts_peak_usage_is_replicas_plus_surge_times_each_pod():
    spec = AppSpec(replicas=2, resources=ResourcesArgs(cpu_request="100m", memory_request="64Mi"))
    usage = spec.peak_usage()
    assert usage["pods"] == 3
    assert usage["requests.cpu"] == 3 * __import__("decimal").Decimal("0.1")
    assert usage["requests.memory"] == 3 * 64 * 2**20


def test_a_review_app_spec_has_one_replica_that_surges_and_never_goes_down():
    base = AppSpec(replicas=4, rollout=RolloutArgs(max_surge=0, max_unavailable=1))
    review = base.for_review()
    assert (review.replicas, review.rollout.max_surge, review.rollout.max_unavailable) == (1, 1, 0)
    assert review.rollout.budget_seconds == base.rollout.budget_seconds


@pytest.mark.parametrize("name", ["PATH", "KUBERNETES_PORT", "LD_LIBRARY_PATH", "1X"])
def test_settings_that_the_kubelet_would_skip_or_that_replace_the_runtimes_are_refused(name):
    with pytest.raises(InvalidArgument, match=rf"^settings\['{name}'\]: must"):
        AppSpec(settings={name: "x"})
