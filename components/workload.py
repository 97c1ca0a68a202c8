"""The app itself: its ServiceAccount, settings, Deployment, Service, PDB, ingress policy and
(optionally) an Ingress."""

from __future__ import annotations

import dataclasses
import hmac
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from . import names
from . import validation as v
from .canary import CANARY, STABLE, CanarySpec, track_labels
from .ingress import IngressArgs, allow_acme_solver_spec, allow_http_spec, ingress
from .labels import recommended_labels, selector_labels
from .migration import COMPONENT as MIGRATE
from .migration import RESOURCE_SUFFIX as MIGRATION_SUFFIX
from .migration import MigrationSpec, migration_job
from .process import (
    NO_PROBE_REASON_ANNOTATION,
    PROCESSES_MAX,
    UNPROBED_CHECKOV_CHECKS,
    AutoscalingArgs,
    ProcessSpec,
    check_probe_timing,
    check_process_name,
    checkov_skips,
    probe_timing,
)

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
        v.int_or_percent("max_surge", self.max_surge)
        v.int_or_percent("max_unavailable", self.max_unavailable)
        if v.is_zero(self.max_surge) and v.is_zero(self.max_unavailable):
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
            v.cpu_quantity(name, getattr(self, name))
        for name in ("memory_request", "memory_limit"):
            v.memory_quantity(name, getattr(self, name))
        for name in ("cpu_request", "memory_request", "cpu_limit", "memory_limit"):
            if v.parse_quantity(getattr(self, name)) == 0:
                # A zero limit is no limit at all (and counts 0 against a quota); a zero request reserves nothing.
                raise v.InvalidArgument(
                    name, getattr(self, name), "must be above 0: 0 means unbounded, or nothing reserved"
                )
        for resource in ("cpu", "memory"):
            request, limit = getattr(self, f"{resource}_request"), getattr(self, f"{resource}_limit")
            if v.parse_quantity(request) > v.parse_quantity(limit):
                raise v.InvalidArgument(
                    (f"{resource}_request", f"{resource}_limit"), (request, limit), "a request cannot exceed its limit"
                )

    def manifest(self) -> dict[str, dict[str, str]]:
        return {
            "requests": {"cpu": self.cpu_request, "memory": self.memory_request},
            "limits": {"cpu": self.cpu_limit, "memory": self.memory_limit},
        }


@dataclass(frozen=True, kw_only=True)
class AppSpec:
    """How the app runs: everything about the workload except where it runs and which image."""

    replicas: int = 2
    """Pods to run. Default 2, so that a node drain never takes the app down."""
    container_port: int = 8080
    """The port the app listens on. Default 8080."""
    service_port: int = 80
    """The Service's port. Default 80."""
    rollout: RolloutArgs = field(default_factory=RolloutArgs)
    """The rolling-update strategy. Default :class:`RolloutArgs`."""
    readiness: ProbeArgs = field(default_factory=lambda: ProbeArgs(path="/readyz"))
    """When a pod may take traffic. Default GET ``/readyz``."""
    liveness: ProbeArgs = field(default_factory=lambda: ProbeArgs(path="/healthz"))
    """When a pod must be restarted. Default GET ``/healthz``."""
    startup: ProbeArgs | None = None
    """Holds the other probes back until the app has started. Default: none."""
    resources: ResourcesArgs = field(default_factory=ResourcesArgs)
    """Requests and limits. Default :class:`ResourcesArgs`."""
    settings: Mapping[str, str] = field(default_factory=dict)
    """Non-secret settings, passed to every process as environment variables through a ConfigMap. Default none."""
    run_as_user: int = 10001
    """The UID (and GID) the container runs as. Default 10001: not root, and outside host ranges."""
    autoscaling: AutoscalingArgs | None = None
    """A HorizontalPodAutoscaler for ``web`` instead of fixed ``replicas`` (then ignored). Default: none."""
    processes: Mapping[str, ProcessSpec] = field(default_factory=dict)
    """The app's other processes (e.g. ``worker``), by name: each its own Deployment from the same
    image, settings and secrets. Default: none, ``web`` alone."""
    migration: MigrationSpec | None = None
    """A Job run to completion before any process rolls out a new image (:class:`components.MigrationSpec`).
    Default: none."""
    canary: CanarySpec | None = None
    """A canary track for ``web`` (:mod:`gitlab_k8s_cd.components.canary`): its Deployment runs when
    the Workload is given a ``canary_image``, and the quota must admit its pods whether or not.
    Default: none."""

    def __post_init__(self) -> None:
        v.integer("replicas", self.replicas, minimum=1)
        v.integer("container_port", self.container_port, minimum=1, maximum=65535)
        v.integer("service_port", self.service_port, minimum=1, maximum=65535)
        v.environment_settings("settings", self.settings)
        v.integer("run_as_user", self.run_as_user, minimum=1)
        if not isinstance(self.processes, Mapping):
            raise v.InvalidArgument("processes", self.processes, "must map process names to their specs")
        if len(self.processes) > PROCESSES_MAX:
            raise v.InvalidArgument(
                "processes",
                v.Sanitized(f"{len(self.processes)} processes"),
                f"must be at most {PROCESSES_MAX}: more is a second app, in a namespace of its own",
            )
        for name, process in self.processes.items():
            check_process_name(f"processes[{name!r}]", name)
            if not isinstance(process, ProcessSpec):
                raise v.InvalidArgument(f"processes[{name!r}]", process, "must be a ProcessSpec")
        if self.canary is not None and not isinstance(self.canary, CanarySpec):
            raise v.InvalidArgument("canary", self.canary, "must be a CanarySpec")
        for process in self.running() + self.tracks():
            process.check_rollout()
        if self.migration is not None:
            self._check_migration()

    def _check_migration(self) -> None:
        """A deploy waits for the migration, then for the rollout: together, within an hour."""
        if not isinstance(self.migration, MigrationSpec):
            raise v.InvalidArgument("migration", self.migration, "must be a MigrationSpec")
        longest = max(self.running(), key=lambda p: p.rollout.budget_seconds)
        rollout = longest.rollout.budget_seconds
        total = self.migration.await_seconds + rollout
        if total > v.WAIT_MAX_SECONDS:
            raise v.InvalidArgument(
                ("migration.budget_seconds", f"{longest.rollout_field}.budget_seconds"),
                (self.migration.budget_seconds, rollout),
                f"a deploy waits for the migration ({self.migration.await_seconds}s with Pulumi's grace) and then "
                f"for the rollout: {total}s in all, which must be at most {v.WAIT_MAX_SECONDS}s, or GitLab's "
                "default job timeout kills the deploy holding the stack's lock",
            )

    def running(self) -> list[RunningProcess]:
        """Every process, ``web`` first, with what it inherits from the app resolved."""
        web = RunningProcess(
            name="web",
            field="",
            replicas=self.replicas,
            rollout=self.rollout,
            resources=self.resources,
            autoscaling=self.autoscaling,
        )
        return [web] + [
            RunningProcess(
                name=name,
                field=f"processes[{name!r}].",
                replicas=process.replicas,
                rollout=process.rollout or self.rollout,
                resources=process.resources or self.resources,
                autoscaling=process.autoscaling,
                spec=process,
            )
            for name, process in self.processes.items()
        ]

    def tracks(self) -> list[RunningProcess]:
        """web's canary, when the app has a canary track: web's pod spec, rollout and resources,
        ``canary.replicas`` of them, no autoscaler. (Not a process: no budget, no autoscaler of its own.)"""
        if self.canary is None:
            return []
        return [
            RunningProcess(
                name="canary",
                field="canary.",
                replicas=self.canary.replicas,
                rollout=self.rollout,
                resources=self.resources,
                autoscaling=None,
            )
        ]

    @property
    def rollout_bounds(self) -> tuple[int, int]:
        """``web``'s (maxSurge, maxUnavailable) in pods, as the Deployment controller resolves them."""
        web = self.running()[0]
        return web.bounds(web.most)

    def peak_usage(self) -> dict[str, Decimal]:
        """What the app holds at its peak, in ResourceQuota's terms: every process at once at the
        peak of its rollout, i.e. its most replicas (``maxReplicas`` when it autoscales) plus maxSurge,
        and the canary's pods at the peak of theirs: a promotion rolls web out while the canary still
        runs (Pulumi deletes the canary Deployment last), and a new canary image rolls the canary."""
        usage: dict[str, Decimal] = defaultdict(Decimal)
        for process in self.running() + self.tracks():
            _add_usage(usage, process.peak_pods, process.resources)
        return dict(usage)

    @property
    def migration_resources(self) -> ResourcesArgs:
        """The migration pod's requests and limits: its own, else the app's (web's)."""
        return (self.migration.resources if self.migration else None) or self.resources

    def migration_usage(self) -> dict[str, Decimal]:
        """What the app holds while its migration runs, before any rollout: every process at its
        most replicas, and the Job's one pod. (A finished pod counts against no quota, so the
        migration's is gone before the rollout's surge pods start: docs/contracts.md KA-10.) The
        canary's pods too: a promotion runs the new image's migration while the canary still runs."""
        usage: dict[str, Decimal] = defaultdict(Decimal)
        for process in self.running() + self.tracks():
            _add_usage(usage, process.most, process.resources)
        _add_usage(usage, 1, self.migration_resources)
        return dict(usage)

    def migration_text(self) -> str:
        """How :meth:`migration_usage` counts pods, for a message: ``web: replicas 2, the migration's 1``."""
        counted = [
            f"{p.name}: {'maxReplicas' if p.autoscaling else 'replicas'} {p.most}"
            for p in self.running() + self.tracks()
        ]
        return ", ".join([*counted, "the migration's 1"])

    def peak_text(self) -> str:
        """How :meth:`peak_usage` counts pods, for a message: ``replicas 2 + maxSurge 1``."""
        return ", ".join(
            f"{p.name}: {'maxReplicas' if p.autoscaling else 'replicas'} {p.most} + maxSurge {p.bounds(p.most)[0]}"
            for p in self.running() + self.tracks()
        )

    @property
    def peak_pods(self) -> int:
        """The pods of :meth:`peak_usage`."""
        return sum(process.peak_pods for process in self.running() + self.tracks())

    def for_review(self) -> AppSpec:
        """The spec of a review app: one replica of each process, which surges one pod and is
        never taken down, and no autoscaler."""
        rollout = dataclasses.replace(self.rollout, max_surge=1, max_unavailable=0)
        return dataclasses.replace(
            self,
            replicas=1,
            rollout=rollout,
            autoscaling=None,
            # A branch's migration would change the database the base environment's settings name.
            migration=None,
            # A review app is the branch's image alone.
            canary=None,
            processes={
                name: dataclasses.replace(
                    process,
                    replicas=1,
                    autoscaling=None,
                    rollout=dataclasses.replace(process.rollout or self.rollout, max_surge=1, max_unavailable=0),
                )
                for name, process in self.processes.items()
            },
        )


@dataclass(frozen=True, kw_only=True)
class RunningProcess:
    """One process of an app, with what it inherits from the app resolved: what its Deployment,
    PodDisruptionBudget and HorizontalPodAutoscaler are made from."""

    name: str
    """``web``, or the process's name."""
    field: str
    """Where its own fields are, for a message: ``""`` for web, ``processes['worker'].``."""
    replicas: int
    rollout: RolloutArgs
    resources: ResourcesArgs
    autoscaling: AutoscalingArgs | None
    spec: ProcessSpec | None = None
    """None for web."""

    @property
    def fewest(self) -> int:
        """The fewest pods it runs: ``minReplicas`` when it autoscales, else ``replicas``."""
        return self.autoscaling.min_replicas if self.autoscaling else self.replicas

    @property
    def most(self) -> int:
        """The most pods it runs: ``maxReplicas`` when it autoscales, else ``replicas``."""
        return self.autoscaling.max_replicas if self.autoscaling else self.replicas

    @property
    def peak_pods(self) -> int:
        return self.most + self.bounds(self.most)[0]

    @property
    def rollout_field(self) -> str:
        """Where its rollout is set, for a message: ``rollout`` (the app's), ``processes['worker'].rollout``."""
        return f"{self.field}rollout" if self.spec is not None and self.spec.rollout else "rollout"

    def bounds(self, replicas: int) -> tuple[int, int]:
        """(maxSurge, maxUnavailable) in pods for ``replicas``, as the Deployment controller resolves them."""
        return (
            v.resolve_bound(self.rollout.max_surge, replicas, round_up=True),
            v.resolve_bound(self.rollout.max_unavailable, replicas, round_up=False),
        )

    def check_rollout(self) -> None:
        """Never every pod down, and never both bounds 0 pods, at any replica count it may run."""
        counts = sorted({self.fewest, self.most})
        replicas_field = f"{self.field}autoscaling.min_replicas" if self.autoscaling else f"{self.field}replicas"
        rollout_field = self.rollout_field
        for replicas in counts:
            surge, unavailable = self.bounds(replicas)
            if unavailable >= replicas:
                raise v.InvalidArgument(
                    (f"{rollout_field}.max_unavailable", replicas_field),
                    (self.rollout.max_unavailable, replicas),
                    f"a rollout{self._of} may take {unavailable} of {replicas} pods down, i.e. all of them: "
                    "lower maxUnavailable (0 keeps every pod up), or raise replicas",
                )
            if surge == 0 and unavailable == 0:
                # The controller would then take one pod down anyway (ResolveFenceposts).
                raise v.InvalidArgument(
                    (f"{rollout_field}.max_surge", f"{rollout_field}.max_unavailable"),
                    (self.rollout.max_surge, self.rollout.max_unavailable),
                    f"both round to 0 pods for {replicas} replicas{self._of} (maxSurge rounds up, "
                    "maxUnavailable down), and Kubernetes would then take a pod down anyway: set maxSurge to 1 or more",
                )

    @property
    def unprobed_reason(self) -> str | None:
        """Why it has no probes, when it has none."""
        return self.spec.no_probe_reason if self.spec is not None else None

    @property
    def _of(self) -> str:
        if self.spec is not None:
            return f" of process {self.name}"
        return "" if self.name == "web" else f" of the {self.name}"

    @property
    def disruption_budget(self) -> bool:
        """A PodDisruptionBudget when it may run more than one pod: with one, it would block every drain."""
        return self.most > 1


@dataclass(frozen=True, kw_only=True)
class WorkloadArgs:
    app: str
    """The app's name (DNS-1123 label): the Service's and the container's name."""
    instance: str
    """The app instance (app and environment), for the recommended labels."""
    namespace: pulumi.Input[str]
    """The namespace to deploy into."""
    image: str
    """The image, by tag or by digest: every process runs it."""
    spec: AppSpec = field(default_factory=AppSpec)
    """How the app runs, its processes included. Default :class:`AppSpec`."""
    secrets: Mapping[str, pulumi.Input[str]] | None = None
    """Secret settings, passed to every process as environment variables through the Secret
    ``<app>-secrets`` (values are made ``Output.secret`` here, if they are not already). A mapping,
    even empty, makes the Secret, so that a later change is an update of its data (which CI's
    deployer may do) that rolls the pods. Default: none, no Secret (a review app's deployer may
    make none)."""
    image_pull_secrets: Sequence[pulumi.Input[str]] = ()
    """Names of ``kubernetes.io/dockerconfigjson`` Secrets to pull the image with. Default: none."""
    annotations: Mapping[str, str] = field(default_factory=dict)
    """Extra annotations for the Deployments and their pods (e.g. GitLab's ``app.gitlab.com/*``). Default none."""
    service_name: str | None = None
    """The Service's name, which clients use (a DNS-1035 label), and web's Deployment's,
    PodDisruptionBudget's, HorizontalPodAutoscaler's and Ingress's; another process's are
    ``<service name>-<process>``. Default: the app's name."""
    service_account: str | None = None
    """An existing ServiceAccount to run as. Default: none, the Workload creates one named after the app."""
    allow_http: bool = True
    """Create the NetworkPolicy that admits traffic to web's port. Default true; false where
    the namespace's owner already admits it (the shared review namespace)."""
    ingress: IngressArgs | None = None
    """Route a host name to the Service. Default: none."""
    disruption_budget: bool = True
    """Create a PodDisruptionBudget for each process that may run more than one pod. Default true;
    false where the deployer may not manage one (review apps: the review deployer's Role grants none)."""
    canary_image: str | None = None
    """The image of web's canary Deployment ``<name>-canary`` (``spec.canary.replicas`` pods
    behind the Service, beside web's), by digest. Default: none, no canary Deployment (a Workload
    that had one deletes it)."""
    canary_annotations: Mapping[str, str] | None = None
    """The canary Deployment's and its pods' annotations instead of ``annotations`` (its own
    deploy's commit, pipeline and job). Default: ``annotations``."""

    def __post_init__(self) -> None:
        v.dns1123_label("app", self.app)
        v.image_reference("image", self.image)
        if self.canary_image is not None:
            check_canary_image("canary_image", self.canary_image, self.spec)
            names.canary_workload(self.name, field="service_name" if self.service_name else "app")
        v.boolean("allow_http", self.allow_http)
        v.boolean("disruption_budget", self.disruption_budget)
        if self.service_account is not None:
            v.dns1123_label("service_account", self.service_account)
        if self.service_name is None:
            names.workload(self.app)
        else:
            names.workload(self.service_name, field="service_name")
        for process in self.spec.processes:
            names.process_workload(self.name, process, field=f"spec.processes[{process!r}]")
        if self.spec.migration is not None:
            if self.service_name is None:
                names.migration_job(self.app, self.image)
            else:
                names.migration_job(self.service_name, self.image, field="service_name")
        if self.secrets is not None:
            secret_settings("secrets", self.secrets, self.spec.settings)
            names.app_secrets(self.app)

    @property
    def name(self) -> str:
        """The Service's, and web's Deployment's, PodDisruptionBudget's and Ingress's name."""
        return self.service_name or self.app

    def deployment_name(self, process: str) -> str:
        """The Deployment (and PodDisruptionBudget, HorizontalPodAutoscaler) of ``process``."""
        return self.name if process == "web" else names.process_workload(self.name, process)

    @property
    def migration_job_name(self) -> str:
        """The migration Job of this image (:func:`gitlab_k8s_cd.components.names.migration_job`)."""
        return names.migration_job(self.name, self.image)


def check_canary_image(field: str, image: str, spec: AppSpec) -> str:
    """A canary's image: pinned by digest (what the canary ran is what a promotion deploys), for an
    app that declares a canary track (which sized the quota and the deployer's Role for it)."""
    if spec.canary is None:
        raise v.InvalidArgument(
            field,
            image,
            "needs a canary track declared in the stack (canary: {replicas: N}): it sizes the quota and grants "
            "CI's deployer the canary Deployment, which an admin run applies",
        )
    if v.image_reference(field, image).digest is None:
        raise v.InvalidArgument(field, image, "must be pinned by digest, <repository>@sha256:<64 hex>")
    return image


def secret_settings(field: str, value: Any, settings: Mapping[str, str]) -> None:
    """Secret settings: environment variable names as for settings, none of them a setting's too
    (two sources for one variable: which wins would depend on envFrom's order)."""
    if not isinstance(value, Mapping):
        raise v.InvalidArgument(field, v.Redacted(len(str(value))), "must map variable names to secret values")
    size = 0
    for key, item in value.items():
        name = f"{field}[{key!r}]"
        if not isinstance(key, str):
            raise v.InvalidArgument(name, v.Sanitized(repr(key)), "names must be strings")
        v.environment_variable_name(name, key)
        if key in settings:
            raise v.InvalidArgument(
                name, v.Sanitized(key), "is a setting too: give each variable one source, settings or secrets"
            )
        if isinstance(item, str):
            if "\0" in item:
                raise v.InvalidArgument(name, v.Redacted(len(item)), "must not contain a NUL byte")
            size += len(key.encode()) + len(item.encode())
        elif not isinstance(item, pulumi.Output):
            raise v.InvalidArgument(name, v.Redacted(len(str(item))), "must be a string (or an Output of one)")
    if size > v.CONFIGMAP_MAX_BYTES:
        raise v.InvalidArgument(field, v.Sanitized(f"{size} bytes"), "must fit in a Secret: at most 1 MiB in all")


class Workload(pulumi.ComponentResource):
    """The app, every process deployed with a zero-downtime rolling update.

    Creates:
    - the app's ServiceAccount, with token automount off (unless ``service_account`` names one);
    - an autonamed ConfigMap of its settings (a change gets a new name, which rolls the pods);
    - with ``secrets``, the Secret ``<app>-secrets`` of them, whose change rolls the pods too (an
      HMAC of its data is a pod annotation);
    - per process (``web``, then the others): a Deployment (RollingUpdate, requests and limits, a
      restricted securityContext; web's with HTTP probes and its port, the others' with their
      command and exec probes), a PodDisruptionBudget when it may run more than one pod (unless
      ``disruption_budget`` is false), and a HorizontalPodAutoscaler when it autoscales (its
      Deployment then sets no ``replicas``);
    - with ``canary_image`` (and ``spec.canary``), web's canary Deployment ``<name>-canary``: web's
      pod spec with that image, on the canary track (:mod:`gitlab_k8s_cd.components.canary`);
    - for ``web``: a Service (selecting both tracks); a NetworkPolicy ``<app>-allow-http`` that admits
      ingress to its port
      (the namespace denies the rest), unless ``allow_http`` is false; an Ingress when ``ingress`` is given;
    - with ``spec.migration``: the Job ``<name>-migrate-<image digest's first 12 hex>``, which every
      Deployment waits for (:mod:`gitlab_k8s_cd.components.migration`).

    Objects have fixed names (``args.name``, ``<args.name>-<process>``), so that the deployer's
    Role grants get, patch and delete on those names alone (:mod:`gitlab_k8s_cd.components.rbac`). Renaming one
    replaces it: the Deployment and the Ingress are made anew before the old ones go (their names
    differ, so pulumi-kubernetes creates first).
    """

    deployment_name: pulumi.Output[str]
    """web's Deployment."""
    deployment_names: pulumi.Output[dict[str, str]]
    """Every process's Deployment, by process: ``{"web": "hello", "worker": "hello-worker"}``."""
    service_name: pulumi.Output[str]
    image: pulumi.Output[str]
    secret_name: pulumi.Output[str] | None
    """The secret settings' Secret, when there is one."""
    migration_job_name: pulumi.Output[str]
    """The migration Job of this image; "" without a migration."""
    canary_image: pulumi.Output[str]
    """The canary's image; "" without a canary."""

    def __init__(self, name: str, args: WorkloadArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("gitlab-k8s-cd:workload:Workload", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        metadata = {"namespace": args.namespace, "labels": recommended_labels(args.app, args.instance, "app")}

        if args.service_account is None:
            account_name: pulumi.Input[str] = k8s.core.v1.ServiceAccount(
                f"{name}-service-account",
                metadata={**metadata, "name": args.app},
                # The app does not talk to the Kubernetes API; no token in its pods.
                automount_service_account_token=False,
                opts=child,
            ).metadata.name
        else:
            account_name = args.service_account
        settings = k8s.core.v1.ConfigMap(
            f"{name}-settings", metadata=metadata, data=dict(args.spec.settings), opts=child
        )
        environment: list[dict[str, object]] = [{"configMapRef": {"name": settings.metadata.name}}]
        pod_annotations: dict[str, pulumi.Input[str]] = dict(args.annotations)
        self.secret_name = None
        self.secrets_version: pulumi.Output[str] | None = None
        if args.secrets is not None:
            secret, self.secrets_version = _secret_settings(name, args, metadata, child)
            self.secret_name = secret.metadata.name
            environment.append({"secretRef": {"name": self.secret_name}})
            pod_annotations[SECRETS_VERSION_ANNOTATION] = self.secrets_version

        # The rollout waits for the migration: every Deployment depends on its Job.
        migration = (
            self._migration(name, args, account_name, environment, child) if args.spec.migration is not None else None
        )
        waits = pulumi.ResourceOptions(depends_on=[migration] if migration is not None else [])
        rollout = pulumi.ResourceOptions.merge(child, waits)
        deployments = {
            process.name: self._process(
                name if process.name == "web" else f"{name}-{process.name}",
                args,
                process,
                account_name,
                environment,
                pod_annotations,
                child,
                rollout,
            )
            for process in args.spec.running()
        }
        canary = self._canary(name, args, account_name, environment, child) if args.canary_image is not None else None
        spec = args.spec
        labels = recommended_labels(args.app, args.instance, "web")
        # Both tracks: the Service (and the policy that admits traffic) routes to the canary's pods too.
        selector = process_selector(args.app, args.instance, "web")
        web = {"namespace": args.namespace, "labels": labels}
        service = k8s.core.v1.Service(
            f"{name}-service",
            # Named: clients reach the app by this name.
            metadata={**web, "name": args.name},
            spec={
                "type": "ClusterIP",
                "selector": selector,
                "ports": [{"name": "http", "port": spec.service_port, "targetPort": "http", "protocol": "TCP"}],
            },
            opts=child,
        )
        if args.allow_http:
            k8s.networking.v1.NetworkPolicy(
                f"{name}-allow-http",
                metadata={**web, "name": names.allow_http(args.app)},
                spec=allow_http_spec(
                    selector,
                    spec.container_port,
                    from_namespace=args.ingress.controller_namespace if args.ingress else None,
                    from_pods=args.ingress.controller_pod_labels if args.ingress else None,
                ),
                opts=child,
            )
        if args.ingress is not None and args.ingress.acme and args.allow_http:
            k8s.networking.v1.NetworkPolicy(
                f"{name}-allow-acme-solver",
                metadata={**metadata, "name": names.allow_acme_solver(args.app)},
                spec=allow_acme_solver_spec(args.ingress.controller_namespace, args.ingress.controller_pod_labels),
                opts=child,
            )
        if args.ingress is not None:
            ingress(
                f"{name}-ingress",
                args.ingress,
                {**web, "name": args.name},
                service.metadata.name,
                spec.service_port,
                child,
            )

        self.deployment_name = deployments["web"].metadata.name
        self.deployment_names = pulumi.Output.all(
            **{process: deployment.metadata.name for process, deployment in deployments.items()}
        )  # type: ignore[assignment]
        self.service_name = service.metadata.name
        self.image = deployments["web"].spec.template.spec.containers[0].image
        self.migration_job_name = migration.metadata.name if migration else pulumi.Output.from_input("")
        self.canary_image = canary.spec.template.spec.containers[0].image if canary else pulumi.Output.from_input("")
        self.register_outputs(
            {
                "deployment_name": self.deployment_name,
                "deployment_names": self.deployment_names,
                "service_name": self.service_name,
                "image": self.image,
                "migration_job_name": self.migration_job_name,
                "canary_image": self.canary_image,
            }
        )

    def _canary(
        self,
        name: str,
        args: WorkloadArgs,
        account: pulumi.Input[str],
        environment: list[dict[str, object]],
        child: pulumi.ResourceOptions,
    ) -> k8s.apps.v1.Deployment:
        """web's canary Deployment: web's pod spec with the canary's image and annotations, on the
        canary track. It waits for no migration: the migration Job is the stable image's (a
        canary's own migration runs when it is promoted, before web rolls out to it)."""
        (track,) = args.spec.tracks()
        annotations = dict(args.annotations if args.canary_annotations is None else args.canary_annotations)
        pod_annotations: dict[str, pulumi.Input[str]] = dict(annotations)
        if self.secrets_version is not None:
            pod_annotations[SECRETS_VERSION_ANNOTATION] = self.secrets_version
        return self._deployment(
            f"{name}-canary-deployment",
            args,
            track,
            names.canary_workload(args.name),
            labels={**recommended_labels(args.app, args.instance, "web"), **track_labels(CANARY)},
            selector={**process_selector(args.app, args.instance, "web"), **track_labels(CANARY)},
            annotations=annotations,
            pod_annotations=pod_annotations,
            # web's container (its name, port and probes), with the canary's image.
            pod_spec=_pod_spec(
                args,
                account,
                environment,
                _process_container(args, args.spec.running()[0]),
                track.resources,
                args.canary_image,
            ),
            opts=child,
        )

    def _migration(
        self,
        name: str,
        args: WorkloadArgs,
        account: pulumi.Input[str],
        environment: list[dict[str, object]],
        child: pulumi.ResourceOptions,
    ) -> k8s.batch.v1.Job:
        """The migration Job of this image. Nothing that changes with every deploy is in it (the
        pipeline's annotations, the secret settings' version): any change of it runs the migration
        again."""
        migration = args.spec.migration
        assert migration is not None
        skips = {SECRETS_AS_FILES_CHECK: SECRETS_AS_ENVIRONMENT_REASON} if args.secrets is not None else {}
        return migration_job(
            f"{name}-{MIGRATION_SUFFIX}",
            spec=migration,
            name=args.migration_job_name,
            namespace=args.namespace,
            labels=recommended_labels(args.app, args.instance, MIGRATE),
            pod_spec=_pod_spec(args, account, environment, migration.container(), args.spec.migration_resources),
            checkov=skips,
            opts=child,
        )

    def _process(
        self,
        prefix: str,
        args: WorkloadArgs,
        process: RunningProcess,
        account: pulumi.Input[str],
        environment: list[dict[str, object]],
        pod_annotations: Mapping[str, pulumi.Input[str]],
        child: pulumi.ResourceOptions,
        rollout_opts: pulumi.ResourceOptions,
    ) -> k8s.apps.v1.Deployment:
        """One process's Deployment, PodDisruptionBudget and HorizontalPodAutoscaler; returns the
        Deployment, made with ``rollout_opts`` (which wait for the migration)."""
        name = args.deployment_name(process.name)
        labels = recommended_labels(args.app, args.instance, process.name)
        selector = process_selector(args.app, args.instance, process.name)
        if process.name == "web":
            # web's pods are on the stable track, in its selector too, so that its Deployment and
            # the canary's never select each other's pods (gitlab_k8s_cd.components.canary). Adding
            # the label changed the selector, which is immutable: it replaced web's Deployment once,
            # in the release that brought it (before 0.1.0 was ever tagged: nothing released ran without it).
            labels = {**labels, **track_labels(STABLE)}
            selector = {**selector, **track_labels(STABLE)}
        metadata = {"name": name, "namespace": args.namespace, "labels": labels}
        deployment = self._deployment(
            f"{prefix}-deployment",
            args,
            process,
            name,
            labels=labels,
            selector=selector,
            annotations=args.annotations,
            pod_annotations=pod_annotations,
            pod_spec=_pod_spec(args, account, environment, _process_container(args, process), process.resources),
            opts=rollout_opts,
        )
        if process.disruption_budget and args.disruption_budget:
            k8s.policy.v1.PodDisruptionBudget(
                f"{prefix}-disruption-budget",
                metadata=metadata,
                # web's stable pods: the canary's are few and short-lived, and a budget over both
                # would let a drain take the last stable pods while canary pods stood in for them.
                spec={"maxUnavailable": 1, "selector": {"matchLabels": selector}},
                opts=child,
            )
        if process.autoscaling is not None:
            k8s.autoscaling.v2.HorizontalPodAutoscaler(
                f"{prefix}-autoscaler",
                metadata=metadata,
                spec=process.autoscaling.spec(name),
                opts=child,
            )
        return deployment

    def _deployment(
        self,
        resource_name: str,
        args: WorkloadArgs,
        process: RunningProcess,
        name: str,
        *,
        labels: Mapping[str, str],
        selector: Mapping[str, str],
        annotations: Mapping[str, str],
        pod_annotations: Mapping[str, pulumi.Input[str]],
        pod_spec: Mapping[str, object],
        opts: pulumi.ResourceOptions,
    ) -> k8s.apps.v1.Deployment:
        """A Deployment of ``process`` named ``name``, rolling as its rollout says, its pods
        ``labels`` and ``selector`` selecting them."""
        rollout = process.rollout
        spec: dict[str, object] = {
            # The selector never contains anything that changes with a deploy.
            "selector": {"matchLabels": dict(selector)},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": rollout.max_surge, "maxUnavailable": rollout.max_unavailable},
            },
            "minReadySeconds": rollout.min_ready_seconds,
            "progressDeadlineSeconds": rollout.budget_seconds,
            "revisionHistoryLimit": rollout.revision_history_limit,
            "template": {
                "metadata": {"labels": dict(labels), "annotations": dict(pod_annotations)},
                "spec": dict(pod_spec),
            },
        }
        # What the Deployment states of itself, for people, the policy pack and checkov.
        stated: dict[str, str] = {}
        skips: dict[str, str] = {}
        if process.unprobed_reason is not None:
            stated[NO_PROBE_REASON_ANNOTATION] = process.unprobed_reason
            skips.update(dict.fromkeys(UNPROBED_CHECKOV_CHECKS, process.unprobed_reason))
        if args.secrets is not None:
            skips[SECRETS_AS_FILES_CHECK] = SECRETS_AS_ENVIRONMENT_REASON
        if process.autoscaling is not None:
            # It sets no replicas: the fewest its autoscaler runs, for the policy pack's rollout check.
            stated[MIN_REPLICAS_ANNOTATION] = str(process.autoscaling.min_replicas)
        if process.autoscaling is None:
            # With an autoscaler, replicas are its own: a manifest that set them would undo every
            # scale-out at each deploy (server-side apply, docs/contracts.md KH-1).
            spec["replicas"] = process.replicas
        return k8s.apps.v1.Deployment(
            resource_name,
            metadata={
                "name": name,
                "namespace": args.namespace,
                "labels": dict(labels),
                # Pulumi waits for the rollout as long as the Deployment may take to progress, no
                # longer. (Never pulumi.com/skipAwait: a deploy must fail when its rollout does.)
                "annotations": {
                    **annotations,
                    **stated,
                    **checkov_skips(skips),
                    "pulumi.com/timeoutSeconds": str(rollout.budget_seconds),
                },
            },
            spec=spec,
            opts=opts,
        )


MIN_REPLICAS_ANNOTATION = "gitlab-k8s-cd/min-replicas"
"""On an autoscaled Deployment: its autoscaler's minReplicas (policy/rules.py reads it)."""
SECRETS_AS_FILES_CHECK = "CKV_K8S_35"
"""checkov's "prefer Secrets as files over Secrets as environment variables"."""
SECRETS_AS_ENVIRONMENT_REASON = (
    "secret settings are environment variables by design, as settings are (and as Auto DevOps passes "
    "K8S_SECRET_*); the Secret holds them alone"
)
SECRETS_VERSION_ANNOTATION = "gitlab-k8s-cd/secrets-version"
"""A pod annotation that changes whenever the secret settings do, so that the pods roll: the Secret
keeps its name (CI's deployer may patch it, never create one), and a pod reads it only at start."""


def _secret_settings(
    name: str, args: WorkloadArgs, metadata: Mapping[str, object], child: pulumi.ResourceOptions
) -> tuple[k8s.core.v1.Secret, pulumi.Output[str]]:
    """The Secret of the secret settings, and the version annotation's value: an HMAC-SHA256 of its
    data under a random key kept (secret) in the state. A plain hash would let anyone who may read
    Deployments test guesses of a short password; the HMAC tells them only that something changed."""
    values = {key: pulumi.Output.secret(value) for key, value in args.secrets.items()}  # type: ignore[union-attr]
    secret = k8s.core.v1.Secret(
        f"{name}-secrets",
        metadata={**metadata, "name": names.app_secrets(args.app)},
        type="Opaque",
        string_data=values,
        opts=child,
    )
    key = random.RandomPassword(f"{name}-secrets-version-key", length=32, special=False, opts=child)
    keys = sorted(values)
    digest = pulumi.Output.all(key.result, *(values[k] for k in keys)).apply(
        lambda parts: hmac.new(
            parts[0].encode(), json.dumps(dict(zip(keys, parts[1:], strict=True)), sort_keys=True).encode(), "sha256"
        ).hexdigest()
    )
    return secret, pulumi.Output.unsecret(digest)


def process_selector(app: str, instance: str, process: str) -> dict[str, str]:
    """A process's pods: the app's selector labels and the process (``app.kubernetes.io/component``),
    so that no two processes' Deployments, nor the Service and a worker, select the same pods."""
    return {**selector_labels(app, instance), COMPONENT_LABEL: process}


COMPONENT_LABEL = "app.kubernetes.io/component"


def _add_usage(usage: dict[str, Decimal], pods: int, resources: ResourcesArgs) -> None:
    """Add ``pods`` pods of ``resources`` to ``usage``, in ResourceQuota's terms."""
    usage["pods"] += pods
    usage["requests.cpu"] += pods * v.parse_quantity(resources.cpu_request)
    usage["requests.memory"] += pods * v.parse_quantity(resources.memory_request)
    usage["limits.cpu"] += pods * v.parse_quantity(resources.cpu_limit)
    usage["limits.memory"] += pods * v.parse_quantity(resources.memory_limit)


def _process_container(args: WorkloadArgs, process: RunningProcess) -> dict[str, object]:
    """A process's own container fields: web's port and HTTP probes, another's command and exec probes."""
    spec = args.spec
    container: dict[str, object] = {"name": args.app if process.name == "web" else process.name}
    if process.spec is None:
        container["ports"] = [{"name": "http", "containerPort": spec.container_port, "protocol": "TCP"}]
        container["readinessProbe"] = spec.readiness.manifest()
        container["livenessProbe"] = spec.liveness.manifest()
        if spec.startup is not None:
            container["startupProbe"] = spec.startup.manifest()
    else:
        if process.spec.command:
            container["command"] = list(process.spec.command)
        if process.spec.args:
            container["args"] = list(process.spec.args)
        if process.spec.liveness_probe is not None:
            container["livenessProbe"] = process.spec.liveness_probe.manifest()
            container["readinessProbe"] = (process.spec.readiness_probe or process.spec.liveness_probe).manifest()
    return container


def _pod_spec(
    args: WorkloadArgs,
    account: pulumi.Input[str],
    environment: list[dict[str, object]],
    own: Mapping[str, object],
    resources: ResourcesArgs,
    image: str | None = None,
) -> dict[str, object]:
    """The pod spec every workload of the app shares (each process's Deployment, the migration
    Job): the image, its settings and secrets, the ServiceAccount and pull secrets, the restricted
    security context and a writable /tmp, around the container's ``own`` fields (its name,
    command, ports, probes) and ``resources``; ``image`` instead of the app's (the canary's)."""
    spec = args.spec
    container: dict[str, object] = {
        **own,
        "image": image or args.image,
        # Every pod start checks the pull secret with the registry, so a pod cannot run an image
        # some other tenant's pod left in the node's cache (the AlwaysPullImages concern). With a
        # digest, "Always" costs a manifest check, not a download.
        "imagePullPolicy": "Always",
        "envFrom": environment,
        "resources": resources.manifest(),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": spec.run_as_user,
            "runAsGroup": spec.run_as_user,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        # A read-only root filesystem still needs somewhere to write temporary files.
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    return {
        "serviceAccountName": account,
        "automountServiceAccountToken": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": spec.run_as_user,
            "runAsGroup": spec.run_as_user,
            "fsGroup": spec.run_as_user,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "imagePullSecrets": [{"name": secret} for secret in args.image_pull_secrets],
        "containers": [container],
        "volumes": [{"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}}],
    }
