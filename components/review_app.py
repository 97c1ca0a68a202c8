"""One merge request's review app: what a review stack (``review-<iid>``) declares.

A review stack's config is derived from the base stack's (``review_config.derive_review_config``):
one replica, names suffixed with ``-review-<iid>``, the review namespace. It declares only the
app: no namespace, no RBAC, no GitLab resource. Those the base stack made once
(:mod:`.review_apps`), so CI creates and destroys review stacks with the review deployer's
namespaced rights, and the GitLab environment is CI's own (``review/$CI_COMMIT_REF_SLUG``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pulumi

from . import endpoints, gitlab_rules, kubernetes_names, names
from . import validation as v
from .app_spec import AppSpec
from .cluster_access import AgentArgs
from .cluster_access import check as check_cluster_access
from .deploy_trace import DeployTrace
from .gitlab_environment import EXTERNAL_URL_MAX_LENGTH
from .image_reference import image_property
from .ingress import IngressArgs
from .labels import gitlab_annotations
from .registry_access import ImagePullSpec
from .review_apps import ReviewAppsSpec, review_pull_secret, review_service_account
from .workload import Workload, WorkloadArgs


def review_stack_name(merge_request_iid: int) -> str:
    """The review stack of merge request ``!<iid>``."""
    return f"review-{merge_request_iid}"


@dataclass(frozen=True, kw_only=True)
class ReviewAppArgs:
    app: str
    """The app's name."""
    merge_request_iid: int
    """The merge request's number in its project (``$CI_MERGE_REQUEST_IID``)."""
    environment: str
    """The GitLab environment, ``review/<ref slug>``."""
    environment_url: str
    """Where the review app is reached (https); its host is the Ingress's."""
    namespace: str
    """The review namespace, made by the base stack."""
    image: str
    """The image, by digest in CI."""
    project_path: str
    """The GitLab project's path, for GitLab's annotations."""
    cluster_name: str
    """The cluster's stable name, as in the base stack: the Kubernetes provider's ``cluster_identifier``."""
    spec: AppSpec = field(default_factory=lambda: AppSpec(replicas=1))
    """How the app runs. Default :class:`AppSpec` with one replica."""
    review_apps: ReviewAppsSpec = field(default_factory=ReviewAppsSpec)
    """The ingress class and TLS secret review apps use. Default: the cluster's defaults."""
    image_pull: ImagePullSpec | None = None
    """How the image is pulled, as the base stack says (never with credentials: a review stack
    holds none). Default none: with the review namespace's pull Secret, which the base stack made."""
    cluster_access: str = "kubeconfig"
    """How CI reaches the cluster, as the base stack says (:mod:`.cluster_access`): the Kubernetes
    provider's context in agent mode. Default kubeconfig."""
    agent: AgentArgs | None = None
    """The agent, in agent mode, as the base stack says. Default none."""
    commit_sha: str | None = None
    """The deployed commit. Default none."""
    pipeline_url: str | None = None
    """The deploying pipeline. Default none."""
    job_url: str | None = None
    """The deploying job. Default none."""

    def __post_init__(self) -> None:
        kubernetes_names.dns1035_label("app", self.app)
        v.integer("merge_request_iid", self.merge_request_iid, minimum=1)
        gitlab_rules.environment_name("environment", self.environment)
        if not self.environment.startswith("review/"):
            raise v.InvalidArgument(
                "environment", self.environment, "must be a review environment, 'review/<ref slug>'"
            )
        endpoints.absolute_url("environment_url", self.environment_url, max_length=EXTERNAL_URL_MAX_LENGTH)
        kubernetes_names.claimable_namespace("namespace", self.namespace)
        self.image_reference  # noqa: B018 - parsed here, once (a bad image is refused before any resource)
        gitlab_rules.project_path("project_path", self.project_path)
        kubernetes_names.dns1123_subdomain("cluster_name", self.cluster_name)
        check_cluster_access(self.cluster_access, self.agent)
        DeployTrace.of(self)
        if self.spec.migration is not None:
            raise v.InvalidArgument(
                "spec.migration",
                "set",
                "must be unset: review apps never run the migration (a branch's migration would change the "
                "database the base environment's settings name)",
            )
        if self.image_pull is not None and not isinstance(self.image_pull, ImagePullSpec):
            raise v.InvalidArgument("image_pull", self.image_pull, "must be an ImagePullSpec")
        if self.image_pull is not None and self.image_pull.credentials:
            raise v.InvalidArgument(
                "image_pull.username",
                self.image_pull.username,
                "is not taken by a review stack: the base stack made the review namespace's pull Secret",
            )
        if len(self.instance) > 63:
            raise v.InvalidArgument(
                "app", self.app, f"is too long for a review app: {self.instance!r} must fit in 63 characters"
            )
        v.renamed(self.workload_args, {"host": "environment_url"})

    @property
    def instance(self) -> str:
        """The suffixed name: the Service's, and the ``app.kubernetes.io/instance`` label."""
        return f"{self.app}-review-{self.merge_request_iid}"

    @property
    def image_pull_secrets(self) -> list[str]:
        """The review namespace's pull Secret, a Secret of your own there, or none (a public image)."""
        if self.image_pull is None:
            return [review_pull_secret(self.app)]
        return [self.image_pull.secret_name] if self.image_pull.secret_name else []

    image_reference = image_property("image")

    @property
    def deploy_trace(self) -> DeployTrace:
        """The deploy's trace, from ``commit_sha``, ``pipeline_url`` and ``job_url``."""
        return DeployTrace.of(self)

    @property
    def deployed_digest(self) -> str:
        return self.image_reference.digest or ""

    def workload_args(self) -> WorkloadArgs:
        # Checked here, before WorkloadArgs checks it as its own, so that a bad name is the app's.
        name = names.check_review_app(self.app, self.merge_request_iid)
        return WorkloadArgs(
            app=self.app,
            instance=self.instance,
            namespace=self.namespace,
            image=self.image,
            spec=self.spec,
            image_pull_secrets=self.image_pull_secrets,
            annotations={
                **gitlab_annotations(self.project_path, self.environment),
                **self.deploy_trace.annotations(self.project_path),
            },
            service_name=name,
            # The base stack made these; the review deployer may not.
            service_account=review_service_account(self.app),
            allow_http=False,
            # Nor may it manage a PodDisruptionBudget, whatever the replicas.
            disruption_budget=False,
            ingress=IngressArgs(
                host=urlsplit(self.environment_url).hostname or "",
                class_name=self.review_apps.ingress_class,
                # TLS with the ingress controller's default certificate: no TLS Secret in the
                # review namespace, where any branch's pod could mount it.
                tls_secret=None,
                # The review deployer deploys it with the app: Pulumi waits within the rollout budget.
                await_seconds=self.spec.rollout.budget_seconds,
            ),
        )


class ReviewApp(pulumi.ComponentResource):
    """A merge request's running copy of the app, in the review namespace.

    Creates a :class:`Workload` named after the merge request (ConfigMap, Deployment, Service,
    Ingress), which runs as the review namespace's ServiceAccount with its pull secret.
    """

    namespace: pulumi.Output[str]
    image: pulumi.Output[str]
    deployment_name: pulumi.Output[str]
    deployment_names: pulumi.Output[dict[str, str]]
    environment_url: pulumi.Output[str]
    deployed_digest: pulumi.Output[str]
    commit: pulumi.Output[str]

    def __init__(self, name: str, args: ReviewAppArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("gitlab-k8s-cd:review_app:ReviewApp", name, None, opts)
        workload = Workload(f"{name}-workload", args.workload_args(), opts=pulumi.ResourceOptions(parent=self))
        self.namespace = pulumi.Output.from_input(args.namespace)
        self.image = workload.image
        self.deployment_name = workload.deployment_name
        self.deployment_names = workload.deployment_names
        self.environment_url = pulumi.Output.from_input(args.environment_url)
        self.deployed_digest = pulumi.Output.from_input(args.deployed_digest)
        self.commit = pulumi.Output.from_input(args.deploy_trace.commit)
        self.register_outputs(
            {
                "namespace": self.namespace,
                "image": self.image,
                "deployment_name": self.deployment_name,
                "deployment_names": self.deployment_names,
                "environment_url": self.environment_url,
                "deployed_digest": self.deployed_digest,
                "commit": self.commit,
            }
        )
