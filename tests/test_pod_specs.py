"""A process's rollout, probes, requests and limits: value objects that refuse what Kubernetes would
refuse, or would run badly."""

from __future__ import annotations

import pytest

from gitlab_k8s_cd.components import InvalidArgument, ProbeArgs, ResourcesArgs, RolloutArgs


def test_rolling_update_rejects_zero_surge_and_zero_unavailable():
    with pytest.raises(InvalidArgument, match=r"^max_surge and max_unavailable: cannot both be 0.*\(got 0 and '0%'\)"):
        RolloutArgs(max_surge=0, max_unavailable="0%")


def test_rolling_update_rejects_taking_every_pod_down():
    with pytest.raises(InvalidArgument, match=r"^max_unavailable: must be below 100%"):
        RolloutArgs(max_unavailable="100%")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_surge": "150%"}, r"^max_surge: must be an integer ≥ 0 or a percentage from 0% to 100%"),
        ({"max_unavailable": -1}, r"^max_unavailable: must be an integer ≥ 0"),
        ({"min_ready_seconds": -5}, r"^min_ready_seconds: must be an integer ≥ 0"),
        ({"budget_seconds": 0}, r"^budget_seconds: must be an integer from 1 to 3600"),
        ({"revision_history_limit": -1}, r"^revision_history_limit: must be an integer ≥ 0"),
        (
            {"budget_seconds": 10, "min_ready_seconds": 10},
            r"^budget_seconds and min_ready_seconds: the rollout budget must be longer",
        ),
    ],
)
def test_rollout_args_reject_bad_values(kwargs, message):
    with pytest.raises(InvalidArgument, match=message):
        RolloutArgs(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"path": "healthz"}, r"^path: must be an HTTP path starting with '/'"),
        ({"path": "/x", "period_seconds": 0}, r"^period_seconds: must be an integer ≥ 1"),
        ({"path": "/x", "timeout_seconds": 0}, r"^timeout_seconds: must be an integer ≥ 1"),
        ({"path": "/x", "failure_threshold": 0}, r"^failure_threshold: must be an integer ≥ 1"),
        ({"path": "/x", "initial_delay_seconds": -1}, r"^initial_delay_seconds: must be an integer ≥ 0"),
    ],
)
def test_probe_args_reject_bad_values(kwargs, message):
    with pytest.raises(InvalidArgument, match=message):
        ProbeArgs(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cpu_request": "lots"}, r"^cpu_request: must be a Kubernetes quantity"),
        ({"memory_limit": "256MB"}, r"^memory_limit: must be a Kubernetes quantity"),
        ({"cpu_request": "2", "cpu_limit": "1"}, r"^cpu_request and cpu_limit: a request cannot exceed its limit"),
        ({"memory_request": "1Gi", "memory_limit": "512Mi"}, r"^memory_request and memory_limit: a request cannot"),
    ],
)
def test_resources_args_reject_bad_values(kwargs, message):
    with pytest.raises(InvalidArgument, match=message):
        ResourcesArgs(**kwargs)


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ({"memory_request": "128"}, r"^memory_request: must be a memory quantity with a unit"),
        ({"memory_limit": "256m"}, r"^memory_limit: must be a memory quantity with a unit"),
        ({"cpu_limit": "1Gi"}, r"^cpu_limit: must be a CPU quantity"),
        ({"memory_request": "200M", "memory_limit": "190Mi"}, r"a request cannot exceed its limit"),
        ({"cpu_request": "1.5", "cpu_limit": "1200m"}, r"a request cannot exceed its limit"),
    ],
)
def test_resources_in_the_wrong_unit_or_above_their_limit_are_refused(resources, expected):
    with pytest.raises(InvalidArgument, match=expected):
        ResourcesArgs(**resources)


@pytest.mark.parametrize("name", ["cpu_request", "memory_request", "cpu_limit", "memory_limit"])
def test_a_zero_request_or_limit_in_any_unit_is_refused(name):
    """A zero limit means unbounded, and counts 0 against a quota's limits.* (docs/contracts.md KA-4)."""
    zero = "0m" if name.startswith("cpu") else "0Mi"
    with pytest.raises(InvalidArgument, match=rf"^{name}: must be above 0"):
        ResourcesArgs(**{name: zero})


def test_a_rollout_budget_beyond_an_hour_is_refused():
    """Longer, it would hold the stack's lock past GitLab's default job timeout."""
    assert RolloutArgs(budget_seconds=3600, min_ready_seconds=5).budget_seconds == 3600
    with pytest.raises(InvalidArgument, match=r"^budget_seconds: must be an integer from 1 to 3600"):
        RolloutArgs(budget_seconds=3601)
