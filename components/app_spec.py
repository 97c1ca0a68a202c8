"""How the app runs (:class:`AppSpec`): its processes, rollout, probes, resources, settings,
migration and canary track, and what they add up to (each running process resolved, the pods and
resources at a rollout's peak) for the quota and the deployer's checks."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from . import container_inputs, quantities, redaction
from . import validation as v
from .canary import CanarySpec
from .migration import MigrationSpec
from .pod_specs import ProbeArgs, ResourcesArgs, RolloutArgs
from .process import PROCESSES_MAX, AutoscalingArgs, ProcessSpec, check_process_name


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
        container_inputs.environment_settings("settings", self.settings)
        v.integer("run_as_user", self.run_as_user, minimum=1)
        if not isinstance(self.processes, Mapping):
            raise v.InvalidArgument("processes", self.processes, "must map process names to their specs")
        if len(self.processes) > PROCESSES_MAX:
            raise v.InvalidArgument(
                "processes",
                redaction.Sanitized(f"{len(self.processes)} processes"),
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
            quantities.resolve_bound(self.rollout.max_surge, replicas, round_up=True),
            quantities.resolve_bound(self.rollout.max_unavailable, replicas, round_up=False),
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


def _add_usage(usage: dict[str, Decimal], pods: int, resources: ResourcesArgs) -> None:
    """Add ``pods`` pods of ``resources`` to ``usage``, in ResourceQuota's terms."""
    usage["pods"] += pods
    usage["requests.cpu"] += pods * quantities.parse_quantity(resources.cpu_request)
    usage["requests.memory"] += pods * quantities.parse_quantity(resources.memory_request)
    usage["limits.cpu"] += pods * quantities.parse_quantity(resources.cpu_limit)
    usage["limits.memory"] += pods * quantities.parse_quantity(resources.memory_limit)
