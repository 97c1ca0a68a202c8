"""The app's processes beyond ``web``, and the autoscaling any process may have.

One image, several workloads: ``web`` serves HTTP (a Service, HTTP probes, the Ingress), and every
other process (``worker``, ``scheduler``...) runs its own command from the same image with the
same settings and secrets, as its own Deployment with its own rollout. A process has no Service
and no port; it proves it is alive with an exec probe, or says why it has none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import container_inputs, kubernetes_names
from . import validation as v

if TYPE_CHECKING:  # pod_specs.py builds on this module
    from .pod_specs import ResourcesArgs, RolloutArgs

RESERVED_PROCESS_NAMES = frozenset({"web", "migrate", "canary"})
"""``web`` is the app's HTTP process (the top-level spec); ``migrate`` names the migration Job;
``canary`` web's canary Deployment (``<app>-canary``)."""
PROCESSES_MAX = 10
"""Ten Deployments per app and environment: more is a second app, with a namespace of its own."""


@dataclass(frozen=True, kw_only=True)
class ExecProbeArgs:
    """A probe that runs a command in the container; exit 0 is success."""

    command: Sequence[str]
    """The command and its arguments, run without a shell (e.g. ``["/app/healthcheck"]``)."""
    initial_delay_seconds: int = 0
    """Seconds before the first probe. Default 0."""
    period_seconds: int = 10
    """Seconds between probes. Default 10."""
    timeout_seconds: int = 1
    """Seconds before a probe times out. Default 1."""
    failure_threshold: int = 3
    """Failures in a row before the probe fails. Default 3."""

    def __post_init__(self) -> None:
        container_inputs.command_line("command", self.command, required=True)
        check_probe_timing(self)

    def manifest(self) -> dict[str, object]:
        return {"exec": {"command": list(self.command)}, **probe_timing(self)}


def check_probe_timing(probe: Any) -> None:
    """A probe's timing fields (an HTTP probe's or an exec probe's), as the API takes them."""
    v.integer("initial_delay_seconds", probe.initial_delay_seconds, minimum=0)
    v.integer("period_seconds", probe.period_seconds, minimum=1)
    v.integer("timeout_seconds", probe.timeout_seconds, minimum=1)
    v.integer("failure_threshold", probe.failure_threshold, minimum=1)


def probe_timing(probe: Any) -> dict[str, object]:
    """A probe's timing fields, in the manifest's terms."""
    return {
        "initialDelaySeconds": probe.initial_delay_seconds,
        "periodSeconds": probe.period_seconds,
        "timeoutSeconds": probe.timeout_seconds,
        "failureThreshold": probe.failure_threshold,
    }


@dataclass(frozen=True, kw_only=True)
class AutoscalingArgs:
    """A HorizontalPodAutoscaler (``autoscaling/v2``) for one process. The Deployment then leaves
    ``replicas`` to it: Pulumi never sets them, so a deploy after a scale-out changes nothing but
    what the deploy changed (docs/contracts.md KH-1)."""

    min_replicas: int = 2
    """The fewest pods. Default 2, so that a node drain never takes the process down."""
    max_replicas: int
    """The most pods; the quota and the PodDisruptionBudget are sized for it."""
    cpu_utilization: int | None = 80
    """Target average CPU use, in percent of the CPU request. Default 80; null for none."""
    memory_utilization: int | None = None
    """Target average memory use, in percent of the memory request. Default: none."""

    def __post_init__(self) -> None:
        v.integer("min_replicas", self.min_replicas, minimum=1)
        v.integer("max_replicas", self.max_replicas, minimum=1)
        if self.max_replicas < self.min_replicas:
            raise v.InvalidArgument(
                ("max_replicas", "min_replicas"),
                (self.max_replicas, self.min_replicas),
                "maxReplicas must be at least minReplicas (the API server refuses less)",
            )
        for name in ("cpu_utilization", "memory_utilization"):
            if getattr(self, name) is not None:
                # The API takes any positive percent: above 100 scales out only past the request.
                v.integer(name, getattr(self, name), minimum=1)
        if self.cpu_utilization is None and self.memory_utilization is None:
            raise v.InvalidArgument(
                ("cpu_utilization", "memory_utilization"),
                (None, None),
                "at least one target is needed: the autoscaler scales on CPU or memory use",
            )

    def spec(self, deployment: str) -> dict[str, object]:
        """The HorizontalPodAutoscaler's spec, scaling the Deployment ``deployment``."""
        metrics = [
            {
                "type": "Resource",
                "resource": {"name": resource, "target": {"type": "Utilization", "averageUtilization": target}},
            }
            for resource, target in (("cpu", self.cpu_utilization), ("memory", self.memory_utilization))
            if target is not None
        ]
        return {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment},
            "minReplicas": self.min_replicas,
            "maxReplicas": self.max_replicas,
            "metrics": metrics,
        }


@dataclass(frozen=True, kw_only=True)
class ProcessSpec:
    """A process other than ``web``: its own Deployment from the app's image, settings and secrets.

    Unset, ``resources`` and ``rollout`` are the app's (web's)."""

    command: Sequence[str] = ()
    """The command, replacing the image's ENTRYPOINT. Default: the image's."""
    args: Sequence[str] = ()
    """The arguments, replacing the image's CMD. Default: the image's. ``command`` or ``args`` is
    required: a process that runs what ``web`` runs is ``web``."""
    replicas: int = 1
    """Pods to run (without autoscaling). Default 1."""
    resources: ResourcesArgs | None = None
    """Requests and limits (:class:`components.ResourcesArgs`). Default: the app's."""
    rollout: RolloutArgs | None = None
    """The rolling update (:class:`components.RolloutArgs`). Default: the app's."""
    liveness_probe: ExecProbeArgs | None = None
    """When a pod must be restarted. Default: none (then ``no_probe_reason`` is required)."""
    readiness_probe: ExecProbeArgs | None = None
    """When a new pod counts as ready, so that the rollout goes on. Default: the liveness probe (a
    process with no Service takes no traffic: ready is alive)."""
    no_probe_reason: str | None = None
    """Why the process has no liveness probe (e.g. "the queue client exits on a lost connection").
    Required without ``liveness_probe``, refused with it: a process nobody watches is a decision."""
    autoscaling: AutoscalingArgs | None = None
    """A HorizontalPodAutoscaler instead of fixed ``replicas``. Default: none."""

    def __post_init__(self) -> None:
        container_inputs.own_command(
            self.command, self.args, "a process runs its own command from the app's image (web runs the image's own)"
        )
        v.integer("replicas", self.replicas, minimum=1)
        if self.liveness_probe is None and self.no_probe_reason is None:
            raise v.InvalidArgument(
                ("liveness_probe", "no_probe_reason"),
                (None, None),
                "one is required: an exec liveness probe, or the reason the process needs none",
            )
        if self.liveness_probe is not None and self.no_probe_reason is not None:
            raise v.InvalidArgument(
                ("liveness_probe", "no_probe_reason"),
                ("set", self.no_probe_reason),
                "only one may be set: the process has a liveness probe, or a reason for none",
            )
        if self.no_probe_reason is not None:
            v.one_line("no_probe_reason", self.no_probe_reason, max_length=200, required=True)


NO_PROBE_REASON_ANNOTATION = "gitlab-k8s-cd/no-probe-reason"
"""On a process's Deployment that has no probes: why (the policy pack reads it)."""
UNPROBED_CHECKOV_CHECKS = ("CKV_K8S_8", "CKV_K8S_9")
"""checkov's liveness and readiness probe checks, which such a Deployment skips with the reason."""


def checkov_skips(skips: Mapping[str, str]) -> dict[str, str]:
    """checkov's in-manifest skips, ``{check id: reason}`` as annotations
    (checkov/kubernetes/kubernetes_utils.py ``get_skipped_checks``, checkov 3.3.30:
    ``checkov.io/skip<N>: <check id>=<reason>``; it splits at '=', so a reason carries none)."""
    return {
        f"checkov.io/skip{n}": f"{check}={reason.replace('=', ':')}"
        for n, (check, reason) in enumerate(sorted(skips.items()), start=1)
    }


def check_process_name(field: str, name: object) -> str:
    """A process name: a DNS-1123 label that is not ``web``, ``migrate`` or ``canary``; it suffixes the app's
    object names and is the ``app.kubernetes.io/component`` label."""
    kubernetes_names.dns1123_label(field, name)
    assert isinstance(name, str)
    if name in RESERVED_PROCESS_NAMES:
        raise v.InvalidArgument(
            field,
            name,
            "is reserved: 'web' is the app's HTTP process (the top-level keys), 'migrate' its migration Job, "
            "'canary' web's canary Deployment",
        )
    return name
