"""The app itself: its ServiceAccount, settings, Deployment, Service, PDB, ingress policy and
(optionally) an Ingress. The pod its Deployments and migration Job run is
:mod:`gitlab_k8s_cd.components.pod_template`'s."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from . import kubernetes_names, names, secret_settings
from . import validation as v
from .app_spec import AppSpec, RunningProcess
from .canary import CANARY, STABLE, check_canary, track_labels
from .image_reference import image_property
from .ingress import IngressArgs, allow_acme_solver_spec, allow_http_spec, ingress
from .labels import process_selector, recommended_labels
from .migration import COMPONENT as MIGRATE
from .migration import RESOURCE_SUFFIX as MIGRATION_SUFFIX
from .migration import migration_job
from .pod_template import PodTemplate, process_container
from .process import NO_PROBE_REASON_ANNOTATION, UNPROBED_CHECKOV_CHECKS, checkov_skips


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
        kubernetes_names.dns1123_label("app", self.app)
        image = self.image_reference  # parsed here, once: a bad image is refused before any resource
        if self.canary_image is not None:
            # A Workload's pull secrets are its caller's, for any registries: the canary's image may
            # be in another than the image's (ContinuousDeployment makes one pull Secret, and checks).
            check_canary(self, same_registry=False)
            names.canary_workload(self.name, field="service_name" if self.service_name else "app")
        v.boolean("allow_http", self.allow_http)
        v.boolean("disruption_budget", self.disruption_budget)
        if self.service_account is not None:
            kubernetes_names.dns1123_label("service_account", self.service_account)
        if self.service_name is None:
            names.workload(self.app)
        else:
            names.workload(self.service_name, field="service_name")
        for process in self.spec.processes:
            names.process_workload(self.name, process, field=f"spec.processes[{process!r}]")
        if self.spec.migration is not None:
            if self.service_name is None:
                names.migration_job(self.app, image)
            else:
                names.migration_job(self.service_name, image, field="service_name")
        if self.secrets is not None:
            secret_settings.check("secrets", self.secrets, self.spec.settings)
            names.app_secrets(self.app)

    image_reference = image_property("image")

    canary_image_reference = image_property("canary_image")

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
        return names.migration_job(self.name, self.image_reference)


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
        pod_annotations: dict[str, pulumi.Input[str]] = dict(args.annotations)
        self.secret_name = None
        self.secrets_version: pulumi.Output[str] | None = None
        if args.secrets is not None:
            secret, self.secrets_version = secret_settings.register(name, args.app, args.secrets, metadata, child)
            self.secret_name = secret.metadata.name
            pod_annotations[secret_settings.SECRETS_VERSION_ANNOTATION] = self.secrets_version
        pods = PodTemplate(
            image=args.image,
            run_as_user=args.spec.run_as_user,
            service_account=account_name,
            settings=settings.metadata.name,
            secret=self.secret_name,
            pull_secrets=args.image_pull_secrets,
        )

        # The rollout waits for the migration: every Deployment depends on its Job.
        migration = self._migration(name, args, pods, child) if args.spec.migration is not None else None
        waits = pulumi.ResourceOptions(depends_on=[migration] if migration is not None else [])
        rollout = pulumi.ResourceOptions.merge(child, waits)
        deployments = {
            process.name: self._process(
                name if process.name == "web" else f"{name}-{process.name}",
                args,
                process,
                pods,
                pod_annotations,
                child,
                rollout,
            )
            for process in args.spec.running()
        }
        canary = self._canary(name, args, pods, child) if args.canary_image is not None else None
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
        pods: PodTemplate,
        child: pulumi.ResourceOptions,
    ) -> k8s.apps.v1.Deployment:
        """web's canary Deployment: web's pod spec with the canary's image and annotations, on the
        canary track. It waits for no migration: the migration Job is the stable image's (a
        canary's own migration runs when it is promoted, before web rolls out to it)."""
        (track,) = args.spec.tracks()
        annotations = dict(args.annotations if args.canary_annotations is None else args.canary_annotations)
        pod_annotations: dict[str, pulumi.Input[str]] = dict(annotations)
        if self.secrets_version is not None:
            pod_annotations[secret_settings.SECRETS_VERSION_ANNOTATION] = self.secrets_version
        return self._deployment(
            f"{name}-canary-deployment",
            args,
            track,
            names.canary_workload(args.name),
            labels={**recommended_labels(args.app, args.instance, "web"), **track_labels(CANARY)},
            selector={**process_selector(args.app, args.instance, "web"), **track_labels(CANARY)},
            annotations=annotations,
            pod_annotations=pod_annotations,
            pods=pods,
            # web's container (its name, port and probes), with the canary's image.
            container=process_container(args.app, args.spec, args.spec.running()[0]),
            image=args.canary_image,
            opts=child,
        )

    def _migration(
        self,
        name: str,
        args: WorkloadArgs,
        pods: PodTemplate,
        child: pulumi.ResourceOptions,
    ) -> k8s.batch.v1.Job:
        """The migration Job of this image. Nothing that changes with every deploy is in it (the
        pipeline's annotations, the secret settings' version): any change of it runs the migration
        again."""
        migration = args.spec.migration
        assert migration is not None
        return migration_job(
            f"{name}-{MIGRATION_SUFFIX}",
            spec=migration,
            name=args.migration_job_name,
            namespace=args.namespace,
            labels=recommended_labels(args.app, args.instance, MIGRATE),
            pod_spec=pods.pod_spec(migration.container(), args.spec.migration_resources),
            checkov=pods.checkov_skips,
            opts=child,
        )

    def _process(
        self,
        prefix: str,
        args: WorkloadArgs,
        process: RunningProcess,
        pods: PodTemplate,
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
            pods=pods,
            container=process_container(args.app, args.spec, process),
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
        pods: PodTemplate,
        container: Mapping[str, object],
        image: str | None = None,
        opts: pulumi.ResourceOptions,
    ) -> k8s.apps.v1.Deployment:
        """A Deployment of ``process`` named ``name``, rolling as its rollout says, its pods
        ``labels`` and ``selector`` selecting them: ``pods`` around ``container`` with the process's
        resources (and ``image`` instead of the app's)."""
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
                "spec": pods.pod_spec(container, process.resources, image),
            },
        }
        # What the Deployment states of itself, for people, the policy pack and checkov.
        stated: dict[str, str] = {}
        skips: dict[str, str] = {}
        if process.unprobed_reason is not None:
            stated[NO_PROBE_REASON_ANNOTATION] = process.unprobed_reason
            skips.update(dict.fromkeys(UNPROBED_CHECKOV_CHECKS, process.unprobed_reason))
        skips.update(pods.checkov_skips)
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
