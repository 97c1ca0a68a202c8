"""One app in one environment: everything from the GitLab project to the running pods."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi

from . import gitlab_rules, kubernetes_names, names, redaction
from . import validation as v
from .app_spec import AppSpec
from .canary import check_canary
from .cluster_access import AGENT, AgentArgs, check_agent_project, environment_group
from .cluster_access import check as check_cluster_access
from .deploy_target import DeployTargetArgs, deploy_target, makes_pull_secret
from .deploy_trace import PARTS, DeployTrace
from .deployer import ClusterArgs
from .drift_check import DriftCheck, DriftCheckArgs, DriftCheckSpec
from .gitlab_environment import TIERS, EnvironmentProtectionArgs, GitLabEnvironment, GitLabEnvironmentArgs
from .gitlab_project import GitLabProject, GitLabProjectArgs
from .image_reference import image_property, registry_host
from .ingress import IngressSpec
from .labels import environment_slug, gitlab_annotations
from .namespace import LimitRangeArgs, NamespaceArgs
from .pulumi_backend import PulumiBackendArgs
from .quota import check_environment_quota, check_review_quota
from .rbac import DeployerAccess, environment_deployer
from .registry_access import ImagePullSpec, deploy_token_problem
from .review_apps import REVIEW_ENVIRONMENT_SCOPE, ReviewApps, ReviewAppsArgs, ReviewAppsSpec
from .workload import Workload, WorkloadArgs


@dataclass(frozen=True, kw_only=True)
class ContinuousDeploymentArgs:
    app: str
    """The app's name (DNS-1123 label)."""
    environment: str
    """The GitLab environment, e.g. ``staging``. Its CI variables are scoped to it."""
    environment_url: str
    """Where the app is reached in this environment (https)."""
    image: str
    """The image to deploy, by tag or (in CI) by digest. Must name its registry host: with no
    ``image_pull``, GitLab's (``gitlab_registry``), in the project's own repositories."""
    project: GitLabProjectArgs
    """The GitLab project and its registry cleanup policy."""
    cluster: ClusterArgs
    """The cluster, for the deployer's kubeconfig."""
    backend: PulumiBackendArgs
    """The Pulumi backend CI's runs use."""
    deploy_token_expires_at: str | None = None
    """When the registry deploy token expires (YYYY-MM-DD). Required when the image is pulled with
    one (no ``image_pull``), refused otherwise. Default none."""
    gitlab_registry: str | None = None
    """GitLab's container registry, ``host[:port]`` (``registry.gitlab.com`` for GitLab.com; a
    self-managed instance's ``$CI_REGISTRY``): with no ``image_pull``, the image must be there,
    and a deploy token of the project pulls it. Default none: no registry is taken for GitLab's,
    so that no deploy token is ever made for a registry that could not check it."""
    image_pull: ImagePullSpec | None = None
    """How an image is pulled without a GitLab deploy token: anonymously, with an existing Secret,
    or with credentials. Default none: with a deploy token of the project, from ``gitlab_registry``."""
    spec: AppSpec = field(default_factory=AppSpec)
    """Replicas, ports, rollout, probes, resources, settings and processes. Default :class:`AppSpec`."""
    secrets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Secret settings, for every process (made ``Output.secret``). Default none; the Secret that
    holds them exists even then, so that adding one is an update CI's deployer may make."""
    ingress: IngressSpec = field(default_factory=IngressSpec)
    """An Ingress for ``environment_url``. Default :class:`IngressSpec` (off)."""
    namespace: str | None = None
    """The namespace. Default ``{app}-{environment slug}``."""
    environment_tier: str | None = None
    """The GitLab tier. Default: the environment's name if it is a tier, else other."""
    protection: EnvironmentProtectionArgs | None = None
    """Approvals for deploys to this environment. Default: none."""
    quota: Mapping[str, str] | None = None
    """A ResourceQuota for the namespace. Default: none."""
    limit_range: LimitRangeArgs | None = None
    """Container defaults for the namespace. Default: none."""
    hidden_variables: bool = True
    """Make secret CI variables hidden as well as masked (GitLab 17.4+). Default true."""
    drift_check: DriftCheckSpec = field(default_factory=DriftCheckSpec)
    """The nightly drift check's schedule. Default :class:`DriftCheckSpec` (03:00 UTC, on main)."""
    review_apps: ReviewAppsSpec = field(default_factory=ReviewAppsSpec)
    """Review apps per merge request, derived from this stack. Default :class:`ReviewAppsSpec` (off)."""
    commit_sha: str | None = None
    """The deployed commit (CI passes ``$CI_COMMIT_SHA``). An annotation and a stack output. Default none."""
    pipeline_url: str | None = None
    """The deploying pipeline (``$CI_PIPELINE_URL``). An annotation. Default none."""
    job_url: str | None = None
    """The deploying job (``$CI_JOB_URL``). An annotation. Default none."""
    canary_image: str | None = None
    """web's canary image, by digest, in the image's registry (CI's deploy-canary run passes it,
    with ``image`` the running one): its Deployment runs beside web's until a deploy without it
    (a promotion, an abort) deletes it. Needs ``spec.canary``. Default: none."""
    canary_commit_sha: str | None = None
    """The canary's commit (the deploy-canary run's ``$CI_COMMIT_SHA``): its pods' annotation, as
    ``commit_sha`` is web's. Only with ``canary_image``. Default none."""
    canary_pipeline_url: str | None = None
    """The canary's deploying pipeline. Only with ``canary_image``. Default none."""
    canary_job_url: str | None = None
    """The canary's deploying job. Only with ``canary_image``. Default none."""
    cluster_access: str = "kubeconfig"
    """How CI reaches the cluster: ``kubeconfig`` (the deployer's token, in a CI variable) or
    ``agent`` (the GitLab agent's tunnel, no credential stored; :mod:`.cluster_access`). Default kubeconfig."""
    agent: AgentArgs | None = None
    """The agent, in agent mode (required there, refused otherwise). Default none."""
    extra_deployer_access: DeployerAccess | None = None
    """What else CI's deployer deploys, updates or reads in the namespace: a second component's
    objects, merged into the deployer's Role (:meth:`gitlab_k8s_cd.components.rbac.DeployerAccess.merge`). An
    admin run applies it (CI cannot change its own Role). Default: none."""

    def __post_init__(self) -> None:
        kubernetes_names.dns1035_label("app", self.app)
        gitlab_rules.environment_name("environment", self.environment)
        if self.environment.startswith(REVIEW_ENVIRONMENT_SCOPE.rstrip("*")):
            raise v.InvalidArgument(
                "environment",
                self.environment,
                f"must not be a review environment: {REVIEW_ENVIRONMENT_SCOPE} is the review apps' variable scope, "
                "readable by every branch pipeline",
            )
        v.boolean("hidden_variables", self.hidden_variables)
        check_cluster_access(self.cluster_access, self.agent)
        if self.agent_mode and self.protection is None:
            # GitLab drops a job of a protected environment whose user may not deploy there before
            # it runs (GL-45). Unprotected, any branch's job naming this environment would get the
            # deployer's rights through the agent, where kubeconfig mode's protected variable
            # reaches protected branches only.
            raise v.InvalidArgument(
                ("protection", "cluster_access"),
                (None, AGENT),
                f"protection is required in agent mode: the agent lets any job that names the environment "
                f"{self.environment!r} through, so GitLab must keep the jobs of those who may not deploy from "
                "running (e.g. protection: {deployAccessLevel: maintainer, requiredApprovals: 0})",
            )
        if self.agent_mode and self.agent is not None:
            check_agent_project(self.agent, self.project.path)
        DeployTrace.of(self)
        if self.image_reference.registry is None:
            raise v.InvalidArgument(
                "image", self.image, "must name its registry host, e.g. 'registry.gitlab.com/acme/app:1.0'"
            )
        self._check_image_pull()
        self._check_canary()
        if self.extra_deployer_access is not None and not isinstance(self.extra_deployer_access, DeployerAccess):
            raise v.InvalidArgument("extra_deployer_access", self.extra_deployer_access, "must be a DeployerAccess")
        # Names derived from the app first: a too-long default namespace is the app's fault, not a
        # namespace the user never set.
        names.check_environment(self.app, self.environment, self.review_apps)
        self._check_service_links()
        # Build what needs no other resource now, so that a bad value fails before any is registered.
        v.renamed(self.namespace_args, {"name": "namespace"})
        v.renamed(
            lambda: self.environment_args(project="", namespace=""),
            {"name": "environment", "external_url": "environment_url", "tier": "environment_tier"},
        )
        # The Ingress's host and path are the environment URL's.
        v.renamed(self.workload_args, {"host": "environment_url", "path": "environment_url"})
        if self.review_apps.enabled:
            v.renamed(lambda: self.review_apps_args(project="", base_stack="base"), {"spec": "review_apps"})
        self._check_namespaces()
        self._check_quotas()

    def _check_image_pull(self) -> None:
        """A GitLab deploy token is made only where it can pull the image (docs/contracts.md GL-22,
        GL-23), and only then takes an expiry date; every other image says how it is pulled."""
        if self.gitlab_registry is not None:
            registry_host("gitlab_registry", self.gitlab_registry)
        if self.image_pull is not None and not isinstance(self.image_pull, ImagePullSpec):
            raise v.InvalidArgument("image_pull", self.image_pull, "must be an ImagePullSpec")
        review = self.review_apps
        if self.image_pull is None:
            problem = deploy_token_problem(
                self.image_reference,
                gitlab_registry=self.gitlab_registry,
                project_path=self.project.path,
            )
            if problem is not None:
                raise v.InvalidArgument("image", self.image, problem)
            why = "the image is pulled from GitLab's registry with a deploy token of the project, which expires"
            if self.deploy_token_expires_at is None:
                raise v.InvalidArgument("deploy_token_expires_at", None, f"is required: {why}")
            v.future_date("deploy_token_expires_at", self.deploy_token_expires_at)
            if review.enabled and review.deploy_token_expires_at is None:
                raise v.InvalidArgument(
                    "review_apps.deploy_token_expires_at",
                    None,
                    "is required when review apps are enabled and pull with a GitLab deploy token: the review "
                    "namespace's token has a date of its own, rotated by an admin run (CI's deployer may only read "
                    "there)",
                )
            return
        unused = "must not be set: no GitLab deploy token is made, the image is pulled with image_pull"
        if self.deploy_token_expires_at is not None:
            raise v.InvalidArgument("deploy_token_expires_at", self.deploy_token_expires_at, unused)
        if review.enabled and review.deploy_token_expires_at is not None:
            raise v.InvalidArgument("review_apps.deploy_token_expires_at", review.deploy_token_expires_at, unused)
        if review.enabled and self.image_pull.credentials and not self.image_pull.share_with_review_apps:
            raise v.InvalidArgument(
                "image_pull.share_with_review_apps",
                False,
                "must be true for review apps to pull with these credentials: they would be copied into the review "
                "namespace's pull Secret, which the pod of any branch's review app can mount (anyone who can push a "
                "branch could read them); give pull-only credentials, or pull review apps otherwise (secret_name)",
            )

    def _check_canary(self) -> None:
        """The canary's image is pulled as the image is (the same pull Secret: the same registry),
        and its trace describes it alone."""
        if self.canary_image is None:
            for name in (f"canary_{part}" for part in PARTS):
                if getattr(self, name) is not None:
                    raise v.InvalidArgument(
                        name,
                        getattr(self, name),
                        "describes the canary's deploy: set it only together with a canary image",
                    )
            return
        check_canary(self, same_registry=True)
        if self.image_pull is None:
            problem = deploy_token_problem(
                self.canary_image_reference,
                gitlab_registry=self.gitlab_registry,
                project_path=self.project.path,
            )
            if problem is not None:
                raise v.InvalidArgument("canary_image", self.canary_image, problem)
        DeployTrace.of(self, prefix="canary_")

    @property
    def agent_mode(self) -> bool:
        """Whether CI reaches the cluster through the GitLab agent (``cluster_access: agent``)."""
        return self.cluster_access == AGENT

    @property
    def pulls_with_deploy_token(self) -> bool:
        """Whether a GitLab deploy token of the project pulls the image (no ``image_pull``)."""
        return self.image_pull is None

    image_reference = image_property("image")

    canary_image_reference = image_property("canary_image")

    @property
    def makes_pull_secret(self) -> bool:
        """Whether the stack makes the namespace's pull Secret (from a deploy token or credentials)."""
        return makes_pull_secret(self.image_pull)

    def deployer_access(self) -> DeployerAccess:
        """CI's deployer in the namespace: what this stack declares there, by name (nothing CI
        may change, the image, replicas, settings, changes it: CI cannot patch its Role), and
        ``extra_deployer_access``."""
        access = environment_deployer(
            self.app,
            processes=tuple(self.spec.processes),
            quota=self.quota is not None,
            limit_range=self.limit_range is not None,
            ingress=self.ingress.enabled,
            acme_solver=self.acme,
            pull_secret=self.makes_pull_secret,
            canary=self.spec.canary is not None,
            agent=self.agent_mode,
        )
        return access if self.extra_deployer_access is None else access.merge(self.extra_deployer_access)

    def _check_service_links(self) -> None:
        """The kubelet gives every pod Docker-link variables for each Service of its namespace
        (<SERVICE>_PORT, <SERVICE>_PORT_<port>_TCP...; docs/contracts.md KA-7); a setting of the app's
        own Service's would silently replace one (AppSpec refuses the *_SERVICE_* ones for any Service)."""
        prefix = names.workload(self.app).upper().replace("-", "_") + "_PORT"
        for key in self.spec.settings:
            if key == prefix or key.startswith(prefix + "_"):
                raise v.InvalidArgument(
                    f"spec.settings[{key!r}]",
                    redaction.Sanitized(key),
                    f"must not replace the kubelet's service link {prefix}* of the app's Service",
                )

    def _check_namespaces(self) -> None:
        """The review namespace is shared by every branch pipeline: it may never be an environment's."""
        namespace = self.namespace_args().name
        review = self.review_apps.namespace_for(self.app)
        if namespace == review and self.review_apps.namespace is not None:
            raise v.InvalidArgument(
                ("review_apps.namespace", "namespace"),
                (review, namespace),
                "must differ from the environment's namespace: every branch pipeline may deploy to the review one",
            )
        if namespace == review:
            raise v.InvalidArgument(
                "namespace",
                namespace,
                f"must not be the review apps' namespace ({review}): every branch pipeline may deploy there",
            )
        if not self.review_apps.enabled:
            return
        # Another environment's stack of the same app takes its default namespace.
        others = {f"{self.app}-{environment_slug(tier)}" for tier in TIERS} - {namespace}
        if review in others:
            raise v.InvalidArgument(
                "review_apps.namespace",
                review,
                f"must not be an environment's namespace (this stack's is {namespace}; {', '.join(sorted(others))} "
                "are the other environments' defaults): every branch pipeline may deploy to the review namespace",
            )

    @property
    def acme(self) -> bool:
        """Whether cert-manager issues the Ingress's certificate: its HTTP-01 solver then runs in
        the namespace now and then (docs/contracts.md CM-1)."""
        return self.ingress.acme

    def _check_quotas(self) -> None:
        pull = self.image_pull is None or not self.image_pull.public
        check_environment_quota(
            self.quota or {},
            self.spec,
            ingress=self.ingress.enabled,
            tls_secret=self.ingress.enabled and self.ingress.tls_secret is not None,
            acme=self.acme,
            pull_secret=pull,
        )
        if self.review_apps.enabled and self.review_apps.quota:
            check_review_quota(self.review_apps.quota, self.spec.for_review(), pull_secret=pull)

    @property
    def deployed_digest(self) -> str:
        """The image's digest when it is pinned by one, else ""."""
        return self.image_reference.digest or ""

    @property
    def instance(self) -> str:
        return f"{self.app}-{environment_slug(self.environment)}"

    @property
    def trace(self) -> dict[str, str]:
        """What web's deploy was given of its trace, by config key ("" for none): the deploy tool
        gives it back to a deploy-canary or abort run, so that web's pods keep their annotations
        (and do not roll) while the canary comes and goes."""
        return self.deploy_trace.config_values()

    @property
    def deploy_trace(self) -> DeployTrace:
        """web's deploy trace, from ``commit_sha``, ``pipeline_url`` and ``job_url``."""
        return DeployTrace.of(self)

    @property
    def canary_trace(self) -> DeployTrace:
        """The canary's deploy trace, from ``canary_commit_sha``, ``canary_pipeline_url`` and ``canary_job_url``."""
        return DeployTrace.of(self, prefix="canary_")

    def namespace_args(self) -> NamespaceArgs:
        return NamespaceArgs(
            name=self.namespace or self.instance,
            app=self.app,
            instance=self.instance,
            quota=self.quota,
            limit_range=self.limit_range,
        )

    def deploy_target_args(self, *, project: pulumi.Input[str]) -> DeployTargetArgs:
        """The namespace, deployer, pull Secret and CI variables of this environment."""
        return DeployTargetArgs(
            project=project,
            namespace=self.namespace_args(),
            cluster=self.cluster,
            access=self.deployer_access(),
            registry=self.image_reference.registry or "",
            image_pull=self.image_pull,
            deploy_token_expires_at=self.deploy_token_expires_at,
            backend=self.backend,
            environment_scope=self.environment,
            hidden_variables=self.hidden_variables,
            namespace_description="The namespace this environment deploys into",
            kubeconfig_description="base64 of the deployer's kubeconfig: namespace-scoped cluster access",
            # Exactly this environment's jobs, by its slug (AG-1, GL-35): never the project's or a tier's.
            agent_group=environment_group(project, self.environment) if self.agent_mode else None,
        )

    def review_apps_args(
        self,
        *,
        project: pulumi.Input[str],
        base_stack: str,
        base_deployer: tuple[pulumi.Input[str], pulumi.Input[str]] | None = None,
        base_group: pulumi.Input[str] | None = None,
    ) -> ReviewAppsArgs:
        return ReviewAppsArgs(
            project=project,
            app=self.app,
            base_stack=base_stack,
            spec=self.review_apps,
            cluster=self.cluster,
            registry=self.image_reference.registry or "",
            deploy_token_expires_at=self.review_apps.deploy_token_expires_at,
            image_pull=self.image_pull,
            container_port=self.spec.container_port,
            backend_url=self.backend.url,
            base_deployer=base_deployer,
            base_group=base_group,
            agent_mode=self.agent_mode,
            hidden_variables=self.hidden_variables,
        )

    def workload_args(
        self,
        *,
        namespace: pulumi.Input[str] = "namespace",
        image_pull_secrets: tuple[pulumi.Input[str], ...] = (),
    ) -> WorkloadArgs:
        return WorkloadArgs(
            app=self.app,
            instance=self.instance,
            namespace=namespace,
            image=self.image,
            spec=self.spec,
            secrets=self.secrets,
            image_pull_secrets=image_pull_secrets,
            # Annotations only: a new commit or pipeline rolls the pods, and replaces nothing.
            annotations={
                **gitlab_annotations(self.project.path, self.environment),
                **self.deploy_trace.annotations(self.project.path),
            },
            ingress=self.ingress.args(self.environment_url) if self.ingress.enabled else None,
            canary_image=self.canary_image,
            canary_annotations={
                **gitlab_annotations(self.project.path, self.environment),
                **self.canary_trace.annotations(self.project.path),
            },
        )

    def environment_args(self, *, project: pulumi.Input[str], namespace: pulumi.Input[str]) -> GitLabEnvironmentArgs:
        return GitLabEnvironmentArgs(
            project=project,
            name=self.environment,
            external_url=self.environment_url,
            kubernetes_namespace=namespace,
            tier=self.environment_tier,
            protection=self.protection,
        )


class ContinuousDeployment(pulumi.ComponentResource):
    """Continuous deployment of one app to one environment.

    Composes:
    - :class:`GitLabProject`: the project, its registry and cleanup policy;
    - :func:`~gitlab_k8s_cd.components.deploy_target.deploy_target`: the :class:`Namespace`,
      the :class:`Deployer`, :class:`RegistryAccess`, the pull Secret, unless the image is public
      or pulled with a Secret of your own (``image_pull``), and :class:`CiVariables`, everything
      CI's ``pulumi up`` needs, scoped to the environment, but its GitLab token: the stack never
      manages the credential CI runs it with (a run that rotated it would revoke it under itself),
      see :mod:`gitlab_k8s_cd.pipeline.ci_token`;
    - :class:`Workload`: the app's processes;
    - :class:`GitLabEnvironment`: the environment, with its URL and namespace;
    - :class:`DriftCheck`: a nightly pipeline that fails when the live state has drifted;
    - :class:`ReviewApps`, when enabled: what every merge request's review app shares.

    Pass the Kubernetes and GitLab providers in ``opts.providers``. A second component in the
    same namespace reads :attr:`project_id`, :attr:`namespace`, :attr:`pull_secret_name` and
    :attr:`deployer_access`; what CI deploys of it goes in ``args.extra_deployer_access``.
    """

    project_id: pulumi.Output[str]
    """The GitLab project's id."""
    namespace: pulumi.Output[str]
    pull_secret_name: pulumi.Output[str] | None
    """The image pull Secret the pods refer to (the stack's, or ``image_pull.secret_name``); None
    for a public image."""
    deployer_access: DeployerAccess
    """What CI's deployer may do in the namespace (its Role is derived from it), extra access included."""
    image: pulumi.Output[str]
    deployment_name: pulumi.Output[str]
    """web's Deployment."""
    deployment_names: pulumi.Output[dict[str, str]]
    """Every process's Deployment, by process name (``web`` included)."""
    environment_url: pulumi.Output[str]
    deployer_kubeconfig: pulumi.Output[str]
    deployed_digest: pulumi.Output[str]
    commit: pulumi.Output[str]
    migration_job: pulumi.Output[str]
    """The migration Job of the deployed image; "" without a migration."""
    canary_image: pulumi.Output[str]
    """The canary's image; "" when no canary runs."""
    trace: pulumi.Output[dict[str, str]]
    """web's deploy trace, by config key (:attr:`ContinuousDeploymentArgs.trace`)."""
    review_apps: ReviewApps | None
    """The review apps' shared objects, when enabled."""

    def __init__(self, name: str, args: ContinuousDeploymentArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("gitlab-k8s-cd:continuous_deployment:ContinuousDeployment", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        project = GitLabProject(f"{name}-project", args.project, opts=child)
        target_args = args.deploy_target_args(project=project.project_id)
        self.deployer_access = target_args.access
        target = deploy_target(name, target_args, self)
        namespace, deployer = target.namespace, target.deployer
        self.pull_secret_name = target.pull_secret_name
        workload = Workload(
            f"{name}-workload",
            args.workload_args(
                namespace=namespace,
                image_pull_secrets=() if self.pull_secret_name is None else (self.pull_secret_name,),
            ),
            opts=child,
        )
        environment = GitLabEnvironment(
            f"{name}-environment",
            args.environment_args(project=project.project_id, namespace=namespace),
            opts=child,
        )
        DriftCheck(
            f"{name}-drift-check",
            DriftCheckArgs(project=project.project_id, stack=pulumi.get_stack(), spec=args.drift_check),
            opts=child,
        )
        self.review_apps = (
            ReviewApps(
                f"{name}-review-apps",
                args.review_apps_args(
                    project=project.project_id,
                    base_stack=pulumi.get_stack(),
                    # Its drift check refreshes what this stack makes in the review namespace:
                    # as the deployer's ServiceAccount, or in agent mode as this environment's group.
                    base_deployer=None if args.agent_mode else (namespace, deployer.service_account_name),
                    base_group=environment_group(project.project_id, args.environment) if args.agent_mode else None,
                ),
                opts=child,
            )
            if args.review_apps.enabled
            else None
        )

        self.project_id = project.project_id
        self.namespace = namespace
        self.image = workload.image
        self.deployment_name = workload.deployment_name
        self.deployment_names = workload.deployment_names
        self.environment_url = environment.external_url
        self.deployer_kubeconfig = deployer.kubeconfig
        self.deployed_digest = pulumi.Output.from_input(args.deployed_digest)
        self.commit = pulumi.Output.from_input(args.deploy_trace.commit)
        self.migration_job = workload.migration_job_name
        self.canary_image = workload.canary_image
        self.trace = pulumi.Output.from_input(args.trace)
        self.register_outputs(
            {
                "canary_image": self.canary_image,
                "trace": self.trace,
                "deployed_digest": self.deployed_digest,
                "commit": self.commit,
                "migration_job": self.migration_job,
                "project_id": self.project_id,
                "namespace": self.namespace,
                "pull_secret_name": self.pull_secret_name,
                "image": self.image,
                "deployment_name": self.deployment_name,
                "deployment_names": self.deployment_names,
                "environment_url": self.environment_url,
                "deployer_kubeconfig": self.deployer_kubeconfig,
            }
        )
