"""How one process's pods run and roll: its rolling update, its HTTP probes, its requests and
limits. Value objects, checked when made; :mod:`.app_spec` composes them into an app."""

from __future__ import annotations

from dataclasses import dataclass

from . import quantities
from . import validation as v
from .process import check_probe_timing, probe_timing

BUDGET_MAX_SECONDS = v.WAIT_MAX_SECONDS
"""An hour (:data:`gitlab_k8s_cd.components.validation.WAIT_MAX_SECONDS`)."""


@dataclass(frozen=True, kw_only=True)
class RolloutArgs:
    """How a new version replaces the old one. The defaults never lower capacity during a rollout."""

    max_surge: int | str = "25%"
    """Extra pods allowed above ``replicas`` during a rollout. Default ``25%`` (at least one pod)."""
    max_unavailable: int | str = 0
    """Pods allowed below ``replicas`` during a rollout. Default ``0``: no capacity is lost."""
    min_ready_seconds: int = 5
    """How long a new pod must stay ready before it counts as available. Default 5."""
    budget_seconds: int = 300
    """How long a rollout may take, in seconds. Default 300. It is both the Deployment's
    ``progressDeadlineSeconds`` and Pulumi's wait for the rollout (``pulumi.com/timeoutSeconds``),
    so a rollout that cannot finish fails the deploy job within the budget, not after Pulumi's
    10-minute default."""
    revision_history_limit: int = 5
    """Old ReplicaSets kept for ``kubectl rollout undo``. Default 5."""

    def __post_init__(self) -> None:
        quantities.int_or_percent("max_surge", self.max_surge)
        quantities.int_or_percent("max_unavailable", self.max_unavailable)
        if quantities.is_zero(self.max_surge) and quantities.is_zero(self.max_unavailable):
            raise v.InvalidArgument(
                ("max_surge", "max_unavailable"),
                (self.max_surge, self.max_unavailable),
                "cannot both be 0, or the rollout could never start",
            )
        if isinstance(self.max_unavailable, str) and int(self.max_unavailable[:-1]) == 100:
            raise v.InvalidArgument(
                "max_unavailable", self.max_unavailable, "must be below 100%, or a rollout takes every pod down"
            )
        v.integer("min_ready_seconds", self.min_ready_seconds, minimum=0)
        v.integer("budget_seconds", self.budget_seconds, minimum=1, maximum=BUDGET_MAX_SECONDS)
        v.integer("revision_history_limit", self.revision_history_limit, minimum=0)
        if self.budget_seconds <= self.min_ready_seconds:
            raise v.InvalidArgument(
                ("budget_seconds", "min_ready_seconds"),
                (self.budget_seconds, self.min_ready_seconds),
                "the rollout budget must be longer than the min ready time",
            )


@dataclass(frozen=True, kw_only=True)
class ProbeArgs:
    """An HTTP GET probe on the container's ``http`` port."""

    path: str
    """The path to GET, starting with '/'."""
    initial_delay_seconds: int = 0
    """Seconds before the first probe. Default 0 (use a startup probe for slow starts)."""
    period_seconds: int = 10
    """Seconds between probes. Default 10."""
    timeout_seconds: int = 1
    """Seconds before a probe times out. Default 1."""
    failure_threshold: int = 3
    """Failures in a row before the probe fails. Default 3."""

    def __post_init__(self) -> None:
        v.http_path("path", self.path)
        check_probe_timing(self)

    def manifest(self) -> dict[str, object]:
        return {"httpGet": {"path": self.path, "port": "http"}, **probe_timing(self)}


@dataclass(frozen=True, kw_only=True)
class ResourcesArgs:
    cpu_request: str = "100m"
    """CPU the scheduler reserves. Default 100m."""
    memory_request: str = "128Mi"
    """Memory the scheduler reserves. Default 128Mi."""
    cpu_limit: str = "500m"
    """CPU the container is throttled at. Default 500m."""
    memory_limit: str = "256Mi"
    """Memory the container is killed at. Default 256Mi."""

    def __post_init__(self) -> None:
        for name in ("cpu_request", "cpu_limit"):
            quantities.cpu_quantity(name, getattr(self, name))
        for name in ("memory_request", "memory_limit"):
            quantities.memory_quantity(name, getattr(self, name))
        for name in ("cpu_request", "memory_request", "cpu_limit", "memory_limit"):
            if quantities.parse_quantity(getattr(self, name)) == 0:
                # A zero limit is no limit at all (and counts 0 against a quota); a zero request reserves nothing.
                raise v.InvalidArgument(
                    name, getattr(self, name), "must be above 0: 0 means unbounded, or nothing reserved"
                )
        for resource in ("cpu", "memory"):
            request, limit = getattr(self, f"{resource}_request"), getattr(self, f"{resource}_limit")
            if quantities.parse_quantity(request) > quantities.parse_quantity(limit):
                raise v.InvalidArgument(
                    (f"{resource}_request", f"{resource}_limit"), (request, limit), "a request cannot exceed its limit"
                )

    def manifest(self) -> dict[str, dict[str, str]]:
        return {
            "requests": {"cpu": self.cpu_request, "memory": self.memory_request},
            "limits": {"cpu": self.cpu_limit, "memory": self.memory_limit},
        }
