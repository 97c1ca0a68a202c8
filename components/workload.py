"""The app itself: its ServiceAccount, settings, Deployment, Service, PDB, ingress policy and
(optionally) an Ingress."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import pulumi
import pulumi_kubernetes as k8s

from . import names
from . import validation as v
from .labels import recommended_labels, selector_labels

BUDGET_MAX_SECONDS = 3600
"""An hour: a rollout that may take longer holds the stack's lock (and the environment's resource
group) past GitLab's default job timeout, which would kill the deploy mid-update."""


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
        v.integer("initial_delay_seconds", self.initial_delay_seconds, minimum=0)
        v.integer("period_seconds", self.period_seconds, minimum=1)
        v.integer("timeout_seconds", self.timeout_seconds, minimum=1)
        v.integer("failure_threshold", self.failure_threshold, minimum=1)

    def manifest(self) -> dict[str, object]:
        return {
            "httpGet": {"path": self.path, "port": "http"},
            "initialDelaySeconds": self.initial_delay_seconds,
            "periodSeconds": self.period_seconds,
            "timeoutSeconds": self.timeout_seconds,
            "failureThreshold": self.failure_threshold,
        }


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
    """Non-secret settings, passed to the app as environment variables through a ConfigMap. Default none."""
    run_as_user: int = 10001
    """The UID (and GID) the container runs as. Default 10001: not root, and outside host ranges."""

    def __post_init__(self) -> None:
        v.integer("replicas", self.replicas, minimum=1)
        v.integer("container_port", self.container_port, minimum=1, maximum=65535)
        v.integer("service_port", self.service_port, minimum=1, maximum=65535)
        v.environment_settings("settings", self.settings)
        v.integer("run_as_user", self.run_as_user, minimum=1)
        surge, unavailable = self.rollout_bounds
        if unavailable >= self.replicas:
            raise v.InvalidArgument(
                ("rollout.max_unavailable", "replicas"),
                (self.rollout.max_unavailable, self.replicas),
                f"a rollout may take {unavailable} of {self.replicas} pods down, i.e. all of them: "
                "lower maxUnavailable (0 keeps every pod up), or raise replicas",
            )
        if surge == 0 and unavailable == 0:
            # The controller would then take one pod down anyway (ResolveFenceposts).
            raise v.InvalidArgument(
                ("rollout.max_surge", "rollout.max_unavailable"),
                (self.rollout.max_surge, self.rollout.max_unavailable),
                f"both round to 0 pods for {self.replicas} replicas (maxSurge rounds up, maxUnavailable down), "
                "and Kubernetes would then take a pod down anyway: set maxSurge to 1 or more",
            )

    @property
    def rollout_bounds(self) -> tuple[int, int]:
        """(maxSurge, maxUnavailable) in pods, as the Deployment controller resolves them."""
        return (
            v.resolve_bound(self.rollout.max_surge, self.replicas, round_up=True),
            v.resolve_bound(self.rollout.max_unavailable, self.replicas, round_up=False),
        )

    def peak_usage(self) -> dict[str, Decimal]:
        """What a rollout holds at its peak (``replicas`` + maxSurge pods), in ResourceQuota's terms."""
        pods = self.replicas + self.rollout_bounds[0]
        resources = self.resources
        return {
            "pods": Decimal(pods),
            "requests.cpu": pods * v.parse_quantity(resources.cpu_request),
            "requests.memory": pods * v.parse_quantity(resources.memory_request),
            "limits.cpu": pods * v.parse_quantity(resources.cpu_limit),
            "limits.memory": pods * v.parse_quantity(resources.memory_limit),
        }

    def for_review(self) -> AppSpec:
        """The spec of a review app: one replica, which surges one pod and is never taken down."""
        return dataclasses.replace(
            self, replicas=1, rollout=dataclasses.replace(self.rollout, max_surge=1, max_unavailable=0)
        )


@dataclass(frozen=True, kw_only=True)
class IngressArgs:
    """An Ingress that routes ``https://<host>/`` to the app's Service."""

    host: str
    """The host name (a DNS-1123 subdomain)."""
    class_name: str | None = None
    """The IngressClass. Default: the cluster's default class."""
    tls_secret: str | None = None
    """A TLS Secret in the namespace for ``host``. Default: none, TLS with the ingress controller's
    default certificate (a ``tls`` entry without ``secretName``), e.g. a wildcard certificate kept in
    the controller's own namespace (ingress-nginx ``--default-ssl-certificate``)."""

    def __post_init__(self) -> None:
        v.dns1123_subdomain("host", self.host)
        for name in ("class_name", "tls_secret"):
            if getattr(self, name) is not None:
                v.dns1123_subdomain(name, getattr(self, name))


@dataclass(frozen=True, kw_only=True)
class WorkloadArgs:
    app: str
    """The app's name (DNS-1123 label): the Service's and the container's name."""
    instance: str
    """The app instance (app and environment), for the recommended labels."""
    namespace: pulumi.Input[str]
    """The namespace to deploy into."""
    image: str
    """The image, by tag or by digest."""
    spec: AppSpec = field(default_factory=AppSpec)
    """How the app runs. Default :class:`AppSpec`."""
    image_pull_secrets: Sequence[pulumi.Input[str]] = ()
    """Names of ``kubernetes.io/dockerconfigjson`` Secrets to pull the image with. Default: none."""
    annotations: Mapping[str, str] = field(default_factory=dict)
    """Extra annotations for the Deployment and its pods (e.g. GitLab's ``app.gitlab.com/*``). Default none."""
    service_name: str | None = None
    """The Service's name, which clients use (a DNS-1035 label), and the Deployment's, the
    PodDisruptionBudget's and the Ingress's. Default: the app's name."""
    service_account: str | None = None
    """An existing ServiceAccount to run as. Default: none, the Workload creates one named after the app."""
    allow_http: bool = True
    """Create the NetworkPolicy that admits traffic to the app's port. Default true; false where
    the namespace's owner already admits it (the shared review namespace)."""
    ingress: IngressArgs | None = None
    """Route a host name to the Service. Default: none."""
    disruption_budget: bool = True
    """Create a PodDisruptionBudget when ``replicas > 1``. Default true; false where the deployer
    may not manage one (review apps: the review deployer's Role grants none)."""

    def __post_init__(self) -> None:
        v.dns1123_label("app", self.app)
        v.image_reference("image", self.image)
        v.boolean("allow_http", self.allow_http)
        v.boolean("disruption_budget", self.disruption_budget)
        if self.service_account is not None:
            v.dns1123_label("service_account", self.service_account)
        if self.service_name is None:
            names.workload(self.app)
        else:
            names.workload(self.service_name, field="service_name")

    @property
    def name(self) -> str:
        """The Service's, Deployment's, PodDisruptionBudget's and Ingress's name."""
        return self.service_name or self.app


class Workload(pulumi.ComponentResource):
    """The app, deployed with a zero-downtime rolling update.

    Creates:
    - the app's ServiceAccount, with token automount off (unless ``service_account`` names one);
    - an autonamed ConfigMap of its settings (a change gets a new name, which rolls the pods);
    - a Deployment: RollingUpdate, probes, requests and limits, a restricted securityContext;
    - a Service;
    - a PodDisruptionBudget when ``replicas > 1`` (unless ``disruption_budget`` is false);
    - a NetworkPolicy ``<app>-allow-http`` that admits ingress to the app's port (the namespace
      denies the rest), unless ``allow_http`` is false;
    - an Ingress when ``ingress`` is given.

    The Deployment, Service, PodDisruptionBudget and Ingress share one fixed name (``args.name``),
    so that the deployer's Role grants get, patch and delete on that name alone
    (:mod:`components.rbac`). Renaming one replaces it: the Deployment and the Ingress are made
    anew before the old ones go (their names differ, so pulumi-kubernetes creates first).
    """

    deployment_name: pulumi.Output[str]
    service_name: pulumi.Output[str]
    image: pulumi.Output[str]

    def __init__(self, name: str, args: WorkloadArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("gitlab-k8s-cd:workload:Workload", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = recommended_labels(args.app, args.instance, "app")
        selector = selector_labels(args.app, args.instance)
        metadata = {"namespace": args.namespace, "labels": labels}

        if args.service_account is None:
            account_name: pulumi.Input[str] = k8s.core.v1.ServiceAccount(
                f"{name}-service-account",
                metadata={"name": args.app, **metadata},
                # The app does not talk to the Kubernetes API; no token in its pods.
                automount_service_account_token=False,
                opts=child,
            ).metadata.name
        else:
            account_name = args.service_account
        settings = k8s.core.v1.ConfigMap(
            f"{name}-settings", metadata=metadata, data=dict(args.spec.settings), opts=child
        )

        spec = args.spec
        deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata={
                "name": args.name,
                **metadata,
                # Pulumi waits for the rollout as long as the Deployment may take to progress, no
                # longer. (Never pulumi.com/skipAwait: a deploy must fail when its rollout does.)
                "annotations": {**args.annotations, "pulumi.com/timeoutSeconds": str(spec.rollout.budget_seconds)},
            },
            spec={
                "replicas": spec.replicas,
                # The selector never contains anything that changes with a deploy.
                "selector": {"matchLabels": selector},
                "strategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {
                        "maxSurge": spec.rollout.max_surge,
                        "maxUnavailable": spec.rollout.max_unavailable,
                    },
                },
                "minReadySeconds": spec.rollout.min_ready_seconds,
                "progressDeadlineSeconds": spec.rollout.budget_seconds,
                "revisionHistoryLimit": spec.rollout.revision_history_limit,
                "template": {
                    "metadata": {"labels": labels, "annotations": dict(args.annotations)},
                    "spec": _pod_spec(args, account_name, settings.metadata.name),
                },
            },
            opts=child,
        )
        service = k8s.core.v1.Service(
            f"{name}-service",
            # Named: clients reach the app by this name.
            metadata={"name": args.name, **metadata},
            spec={
                "type": "ClusterIP",
                "selector": selector,
                "ports": [{"name": "http", "port": spec.service_port, "targetPort": "http", "protocol": "TCP"}],
            },
            opts=child,
        )
        if spec.replicas > 1 and args.disruption_budget:
            k8s.policy.v1.PodDisruptionBudget(
                f"{name}-disruption-budget",
                metadata={"name": args.name, **metadata},
                spec={"maxUnavailable": 1, "selector": {"matchLabels": selector}},
                opts=child,
            )
        if args.allow_http:
            k8s.networking.v1.NetworkPolicy(
                f"{name}-allow-http",
                metadata={"name": names.allow_http(args.app), **metadata},
                spec=allow_http_spec(selector, spec.container_port),
                opts=child,
            )
        if args.ingress is not None:
            # Pulumi waits for the Ingress to get an address and live endpoints: within the same budget.
            budget = {"pulumi.com/timeoutSeconds": str(spec.rollout.budget_seconds)}
            _ingress(
                f"{name}-ingress",
                args.ingress,
                {"name": args.name, **metadata, "annotations": budget},
                service.metadata.name,
                spec.service_port,
                child,
            )

        self.deployment_name = deployment.metadata.name
        self.service_name = service.metadata.name
        self.image = deployment.spec.template.spec.containers[0].image
        self.register_outputs(
            {
                "deployment_name": self.deployment_name,
                "service_name": self.service_name,
                "image": self.image,
            }
        )


def allow_http_spec(selector: Mapping[str, str], port: int) -> dict[str, object]:
    """A NetworkPolicy spec that admits TCP traffic to ``port`` of the pods ``selector`` matches."""
    return {
        "podSelector": {"matchLabels": dict(selector)},
        "policyTypes": ["Ingress"],
        "ingress": [{"ports": [{"port": port, "protocol": "TCP"}]}],
    }


def _ingress(
    name: str,
    args: IngressArgs,
    metadata: Mapping[str, object],
    service: pulumi.Input[str],
    port: int,
    opts: pulumi.ResourceOptions,
) -> k8s.networking.v1.Ingress:
    spec: dict[str, object] = {
        "rules": [
            {
                "host": args.host,
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": service, "port": {"number": port}}},
                        }
                    ]
                },
            }
        ],
    }
    if args.class_name is not None:
        spec["ingressClassName"] = args.class_name
    # Always TLS: without secretName, the controller's default certificate (and its https redirect).
    spec["tls"] = [{"hosts": [args.host], **({"secretName": args.tls_secret} if args.tls_secret else {})}]
    return k8s.networking.v1.Ingress(name, metadata=dict(metadata), spec=spec, opts=opts)


def _pod_spec(args: WorkloadArgs, account: pulumi.Input[str], settings: pulumi.Input[str]) -> dict[str, object]:
    spec = args.spec
    container: dict[str, object] = {
        "name": args.app,
        "image": args.image,
        # Every pod start checks the pull secret with the registry, so a pod cannot run an image
        # some other tenant's pod left in the node's cache (the AlwaysPullImages concern). With a
        # digest, "Always" costs a manifest check, not a download.
        "imagePullPolicy": "Always",
        "ports": [{"name": "http", "containerPort": spec.container_port, "protocol": "TCP"}],
        "envFrom": [{"configMapRef": {"name": settings}}],
        "readinessProbe": spec.readiness.manifest(),
        "livenessProbe": spec.liveness.manifest(),
        "resources": spec.resources.manifest(),
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
    if spec.startup is not None:
        container["startupProbe"] = spec.startup.manifest()
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
