"""What review apps share, made once by the bootstrap run of the base stack (say staging).

Every merge request gets its own review stack (``review-<iid>``, see :mod:`.review_app`), which
CI creates and destroys. CI must never need cluster-scoped rights for that, nor rights over
anyone's RBAC, so the base stack's admin run makes, once:

- the review namespace (Pod Security ``restricted``, default-deny ingress, optionally a quota);
- a review deployer confined to it, which may deploy what review stacks declare (ConfigMaps,
  Deployments, Services, Ingresses: each review app has a host) and nothing else: no Secret, not
  even to read (the wildcard TLS key lives there; but a pod it creates could mount one, which
  RBAC does not check), no PodDisruptionBudget, no RBAC;
- the ServiceAccount review apps run as, and the NetworkPolicy admitting their HTTP port;
- a registry pull secret with a fixed name, from a deploy token of its own (or, for an image
  from another registry, from the environment's credentials when ``imagePull`` shares them; none
  for a public image or a Secret of your own, which you make there);
- the review stacks' own passphrase, random, never seen by anyone;
- read access there, by name, for the base stack's deployer, whose refresh (the drift check)
  reads them;
- the CI/CD variables the review jobs run with, scoped to ``review/*``;
- the project variable that switches the component's review jobs on.

Each Kubernetes object has a fixed name (:mod:`gitlab_k8s_cd.components.names`), so that Roles grant by name.

Merge request pipelines run on unprotected branches, so the ``review/*`` variables cannot be
protected: anyone who can push a branch can read them. That is why they open nothing but the
review namespace and the review stacks: their own kubeconfig, their own passphrase (the base
stack's state stays unreadable), and optionally their own backend URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from . import endpoints, kubernetes_names, names
from . import validation as v
from .ci_variables import CiVariable, CiVariables, CiVariablesArgs
from .cluster_access import REVIEW_TIER, tier_group
from .deploy_target import DeployTargetArgs, deploy_target, makes_pull_secret
from .deployer import ClusterArgs
from .gitlab_environment import EXTERNAL_URL_MAX_LENGTH
from .image_reference import registry_host
from .ingress import allow_http_spec
from .labels import environment_slug, recommended_labels
from .namespace import NamespaceArgs
from .pulumi_backend import SELF_MANAGED_SCHEMES, PulumiBackendArgs, is_self_managed, reject_local_backend
from .rbac import REVIEW_DEPLOYER, base_reader, role_rules
from .registry_access import ImagePullSpec

REVIEW_APPS_VARIABLE = "GITLAB_K8S_CD_REVIEW_APPS"
"""A project variable holding the base stack's name; the component's review jobs run only when it is set."""
REVIEW_ENVIRONMENT_SCOPE = "review/*"
"""The environments review apps deploy to (``review/$CI_COMMIT_REF_SLUG``)."""


@dataclass(frozen=True, kw_only=True)
class ReviewAppsSpec:
    """Review apps per merge request (config key ``reviewApps``)."""

    enabled: bool = False
    """Whether the base stack makes what review apps share, and switches the review jobs on. Default false."""
    domain: str | None = None
    """Review apps are reached at ``https://<environment slug>.<domain>``: a wildcard DNS record
    for it must point at the ingress controller. Required when enabled."""
    namespace: str | None = None
    """The review namespace. Default ``<app>-review``."""
    ingress_class: str | None = None
    """The review apps' IngressClass. Default: the cluster's default class."""
    backend_url: str | None = None
    """Where review stacks keep their state. Default: the base stack's backend. A separate
    bucket (or prefix) with its own credentials keeps branch pipelines away from the base stack's state."""
    quota: Mapping[str, str] | None = None
    """A ResourceQuota for the review namespace, which all open merge requests share, e.g.
    ``{"pods": "20", "requests.cpu": "2"}``. Default: none."""
    deploy_token_expires_at: str | None = None
    """When the review namespace's deploy token expires (YYYY-MM-DD). Required when enabled and the
    image is pulled with a GitLab deploy token (:class:`components.ContinuousDeploymentArgs` checks
    it), refused otherwise. Its own date, not the environment's: CI's deployer may only read in the
    review namespace, so this token is rotated by an admin run, while the environment's rotates
    through CI's deploy."""

    def __post_init__(self) -> None:
        v.boolean("enabled", self.enabled)
        if self.enabled and self.domain is None:
            raise v.InvalidArgument(
                "domain", None, "is required when review apps are enabled, e.g. 'review.example.com'"
            )
        if self.domain is not None:
            kubernetes_names.dns1123_subdomain("domain", self.domain)
            if any(len(label) > 63 for label in self.domain.split(".")):
                raise v.InvalidArgument("domain", self.domain, "must have labels of at most 63 characters (DNS)")
            # https://<environment slug, at most 24>.<domain>: within GitLab's 255 for an environment URL.
            longest = len(self.url("review/" + "x" * 300))
            if longest > EXTERNAL_URL_MAX_LENGTH:
                raise v.InvalidArgument(
                    "domain",
                    self.domain,
                    f"is too long: a review app's URL (https://<24-character slug>.<domain>) would have {longest} "
                    f"characters, and GitLab takes at most {EXTERNAL_URL_MAX_LENGTH}",
                )
        if self.namespace is not None:
            kubernetes_names.claimable_namespace("namespace", self.namespace)
        if self.ingress_class is not None:
            kubernetes_names.dns1123_subdomain("ingress_class", self.ingress_class)
        if self.backend_url is not None:
            reject_local_backend("backend_url", self.backend_url)
            endpoints.absolute_url("backend_url", self.backend_url, schemes=SELF_MANAGED_SCHEMES)
        if self.quota is not None:
            NamespaceArgs(name="review", app="review", instance="review", quota=self.quota)  # the same rules
        if self.deploy_token_expires_at is not None:
            v.future_date("deploy_token_expires_at", self.deploy_token_expires_at)

    def namespace_for(self, app: str) -> str:
        return self.namespace or f"{app}-review"

    def url(self, environment: str) -> str:
        """Where the review app of ``environment`` is reached."""
        return f"https://{environment_slug(environment)}.{self.domain}"


def review_service_account(app: str) -> str:
    """The ServiceAccount every review app of ``app`` runs as."""
    return names.app_service_account(app)


def review_pull_secret(app: str) -> str:
    """The pull secret the base stack makes for every review app of ``app`` (unless the image is
    public, or pulled with a Secret of your own)."""
    return names.pull_secret(app)


@dataclass(frozen=True, kw_only=True)
class ReviewAppsArgs:
    project: pulumi.Input[str]
    """The GitLab project."""
    app: str
    """The app's name."""
    base_stack: str
    """The stack review configs are derived from (this one); the project variable names it."""
    spec: ReviewAppsSpec
    """Domain, namespace, ingress. ``spec.enabled`` must be true."""
    cluster: ClusterArgs
    """The cluster, for the review deployer's kubeconfig."""
    registry: str
    """The registry host the app's images are pulled from."""
    deploy_token_expires_at: str | None = None
    """When the review namespace's deploy token expires (YYYY-MM-DD): required with no ``image_pull``."""
    image_pull: ImagePullSpec | None = None
    """How review apps pull the image, as the environment does: None, with a deploy token of the
    project of their own; credentials, copied into the review namespace's pull Secret (only with
    ``share_with_review_apps``); ``secret_name``, a Secret of that name you make in the review
    namespace; public, nothing. Default none."""
    container_port: int
    """The app's port, which the review namespace admits."""
    backend_url: str
    """The base stack's backend, the review stacks' default."""
    base_deployer: tuple[pulumi.Input[str], pulumi.Input[str]] | None = None
    """The base stack's deployer, (namespace, ServiceAccount): it may read, by name, what the base
    stack makes in the review namespace (:func:`gitlab_k8s_cd.components.rbac.base_reader`). Default: none."""
    base_group: pulumi.Input[str] | None = None
    """Agent mode: the base environment's GitLab CI job group, which then reads what the base stack
    makes in the review namespace (instead of ``base_deployer``). Default: none."""
    agent_mode: bool = False
    """Whether CI reaches the cluster through the GitLab agent: the review deployer's Role is then
    bound to the review tier's group (:data:`~.cluster_access.REVIEW_TIER`), with no token nor
    kubeconfig variable. Default false."""
    hidden_variables: bool = True
    """Make the secret variables hidden as well as masked (GitLab 17.4+). Default true."""

    def __post_init__(self) -> None:
        v.boolean("agent_mode", self.agent_mode)
        if self.base_deployer is not None and self.base_group is not None:
            raise v.InvalidArgument(
                ("base_deployer", "base_group"), ("set", "set"), "name one base reader: a ServiceAccount or a group"
            )
        if not self.spec.enabled:
            raise v.InvalidArgument("spec.enabled", False, "must be true to make the review apps' shared objects")
        registry_host("registry", self.registry)
        if self.image_pull is None:
            if self.deploy_token_expires_at is None:
                raise v.InvalidArgument(
                    "deploy_token_expires_at",
                    None,
                    "is required: review apps pull with a GitLab deploy token of their own",
                )
            v.future_date("deploy_token_expires_at", self.deploy_token_expires_at)
        else:
            if not isinstance(self.image_pull, ImagePullSpec):
                raise v.InvalidArgument("image_pull", self.image_pull, "must be an ImagePullSpec")
            if self.deploy_token_expires_at is not None:
                raise v.InvalidArgument(
                    "deploy_token_expires_at", self.deploy_token_expires_at, "must not be set: no deploy token is made"
                )
            if self.image_pull.credentials and not self.image_pull.share_with_review_apps:
                raise v.InvalidArgument(
                    "image_pull.share_with_review_apps",
                    False,
                    "must be true to copy the credentials into the review namespace, where any branch's pod can "
                    "mount them",
                )
        if not is_self_managed(self.review_backend_url):
            raise v.InvalidArgument(
                "spec.backend_url",
                self.spec.backend_url,
                f"must be a self-managed backend ({', '.join(SELF_MANAGED_SCHEMES)}): the base stack's "
                f"{self.backend_url} needs an "
                "access token, which would be readable by every branch's pipeline",
            )

    @property
    def review_backend_url(self) -> str:
        return self.spec.backend_url or self.backend_url

    @property
    def makes_pull_secret(self) -> bool:
        """Whether the review namespace gets a pull Secret from this stack (a deploy token's, or
        shared credentials)."""
        return makes_pull_secret(self.image_pull)

    def deploy_target_args(self, *, passphrase: pulumi.Input[str]) -> DeployTargetArgs:
        """The review namespace, the review deployer, the pull Secret, and the variables of every
        review job: not protected, since merge request pipelines run on unprotected branches.
        ``passphrase`` is the review stacks' own."""
        instance = names.review_apps_instance(self.app)
        return DeployTargetArgs(
            project=self.project,
            namespace=NamespaceArgs(
                name=self.spec.namespace_for(self.app), app=self.app, instance=instance, quota=self.spec.quota
            ),
            cluster=self.cluster,
            access=REVIEW_DEPLOYER,
            registry=self.registry,
            # A deploy token of its own, or the environment's credentials (shared on purpose).
            image_pull=self.image_pull,
            deploy_token_expires_at=self.deploy_token_expires_at,
            backend=PulumiBackendArgs(url=self.review_backend_url, passphrase=passphrase),
            environment_scope=REVIEW_ENVIRONMENT_SCOPE,
            protected=False,
            hidden_variables=self.hidden_variables,
            namespace_description="The review namespace",
            kubeconfig_description="base64 of the review deployer's kubeconfig: the review namespace only",
            # Agent mode: every review job's group, the review tier's. Not a review environment's
            # slug: review environments come and go with the merge requests, after this admin
            # run, and a review job cannot bind its own group (it holds no RBAC rights before).
            agent_group=tier_group(self.project, REVIEW_TIER) if self.agent_mode else None,
        )


class ReviewApps(pulumi.ComponentResource):
    """What every review app of one app shares (see the module docstring)."""

    namespace: pulumi.Output[str]
    passphrase: pulumi.Output[str]

    def __init__(self, name: str, args: ReviewAppsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("gitlab-k8s-cd:review_apps:ReviewApps", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        instance = names.review_apps_instance(args.app)
        # The review stacks' passphrase: not the base stack's, which the review variables,
        # readable from any branch, must never carry. Alphanumeric, so GitLab can mask it.
        passphrase = random.RandomPassword(f"{name}-passphrase", length=40, special=False, opts=child)
        target = deploy_target(name, args.deploy_target_args(passphrase=passphrase.result), self)
        namespace = target.namespace
        if args.base_deployer is not None or args.base_group is not None:
            self._base_reader(name, args, namespace, instance)
        labels = recommended_labels(args.app, instance, "app")
        k8s.core.v1.ServiceAccount(
            f"{name}-app-service-account",
            metadata={"name": review_service_account(args.app), "namespace": namespace, "labels": labels},
            automount_service_account_token=False,
            opts=child,
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-allow-http",
            # Named: the base stack's deployer reads it by name.
            metadata={"name": names.allow_http(args.app), "namespace": namespace, "labels": labels},
            # Every review app of this app (they differ by instance), on the app's port only.
            spec=allow_http_spec({"app.kubernetes.io/name": args.app}, args.container_port),
            opts=child,
        )
        CiVariables(
            f"{name}-switch",
            CiVariablesArgs(
                project=args.project,
                environment_scope="*",
                variables=[
                    CiVariable(
                        key=REVIEW_APPS_VARIABLE,
                        value=args.base_stack,
                        protected=False,
                        description="gitlab-k8s-cd: merge requests get review apps derived from this stack",
                    )
                ],
            ),
            opts=child,
        )
        self.namespace = namespace
        self.passphrase = pulumi.Output.secret(passphrase.result)
        self.register_outputs({"namespace": self.namespace, "passphrase": self.passphrase})

    def _base_reader(self, name: str, args: ReviewAppsArgs, namespace: pulumi.Output[str], instance: str) -> None:
        subject: dict[str, pulumi.Input[str]]
        if args.base_group is not None:
            subject = {"kind": "Group", "name": args.base_group, "apiGroup": "rbac.authorization.k8s.io"}
        else:
            assert args.base_deployer is not None
            base_namespace, base_account = args.base_deployer
            subject = {"kind": "ServiceAccount", "name": base_account, "namespace": base_namespace}
        labels = recommended_labels(args.app, instance, "base-reader")
        reader = names.base_reader(args.app)
        role = k8s.rbac.v1.Role(
            f"{name}-base-reader",
            metadata={"name": reader, "namespace": namespace, "labels": labels},
            rules=role_rules(
                base_reader(
                    args.app,
                    quota=args.spec.quota is not None,
                    pull_secret=args.makes_pull_secret,
                    agent=args.agent_mode,
                ),
                namespace,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        k8s.rbac.v1.RoleBinding(
            f"{name}-base-reader-binding",
            metadata={"name": reader, "namespace": namespace, "labels": labels},
            role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role.metadata.name},
            subjects=[subject],
            opts=pulumi.ResourceOptions(parent=self),
        )


__all__ = [
    "REVIEW_APPS_VARIABLE",
    "REVIEW_ENVIRONMENT_SCOPE",
    "ReviewApps",
    "ReviewAppsArgs",
    "ReviewAppsSpec",
    "review_pull_secret",
    "review_service_account",
]
