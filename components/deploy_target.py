"""Where CI deploys: a namespace, the deployer confined to it, the pull Secret its pods pull with,
and the CI/CD variables that hand the deployer and the Pulumi backend to the jobs of one
environment scope.

An environment (:class:`~gitlab_k8s_cd.components.continuous_deployment.ContinuousDeployment`) and
the review apps (:class:`~gitlab_k8s_cd.components.review_apps.ReviewApps`) each need exactly
this; they differ in the namespace, the deployer's access, the variables' scope and whether the
variables are protected, which :class:`DeployTargetArgs` takes.

:func:`deploy_target` is a function, not a component: it registers its children under the
caller's component, as each registered them itself before, so that their URNs (type, name and
parent; docs/contracts.md PC-18) stay those of the stacks already deployed. A component of its
own would be a new parent, and every child's new URN a delete and a create: the namespace too.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from . import gitlab_rules
from . import validation as v
from .ci_variables import CiVariable, CiVariables, CiVariablesArgs, kubeconfig_variable
from .deployer import ClusterArgs, Deployer, DeployerArgs
from .namespace import Namespace, NamespaceArgs
from .pulumi_backend import PulumiBackendArgs
from .rbac import DeployerAccess
from .registry_access import ImagePullSpec, RegistryAccess, RegistryAccessArgs


def makes_pull_secret(image_pull: ImagePullSpec | None) -> bool:
    """Whether the stack makes the namespace's pull Secret: from a GitLab deploy token of the
    project (no ``image_pull``), or from ``image_pull``'s credentials."""
    return image_pull is None or image_pull.credentials


@dataclass(frozen=True, kw_only=True)
class DeployTargetArgs:
    project: pulumi.Input[str]
    """The GitLab project: its CI/CD variables, and its deploy token, when one pulls the image."""
    namespace: NamespaceArgs
    """The namespace; its ``app`` and ``instance`` label everything here."""
    cluster: ClusterArgs
    """The cluster, for the deployer's kubeconfig."""
    access: DeployerAccess
    """What the deployer may do in the namespace (its Role)."""
    registry: str
    """The registry host the image is pulled from: the pull Secret's ``auths`` key."""
    image_pull: ImagePullSpec | None = None
    """How the image is pulled. Default none: with a GitLab deploy token of ``project``."""
    deploy_token_expires_at: str | None = None
    """The deploy token's expiry date (YYYY-MM-DD): with no ``image_pull`` only. Default none."""
    backend: PulumiBackendArgs
    """The Pulumi backend the jobs' runs use, and the secret that unlocks their stacks."""
    environment_scope: str
    """The environments whose jobs see the variables (``staging``, ``review/*``)."""
    protected: bool = True
    """Whether the kubeconfig and the backend's variables are protected (only protected branches
    and tags see them). Default true; false for review apps, whose pipelines run on any branch."""
    hidden_variables: bool = True
    """Make the secret variables hidden as well as masked (GitLab 17.4+). Default true."""
    namespace_description: str
    """``KUBE_NAMESPACE``'s description in GitLab's settings."""
    kubeconfig_description: str
    """``KUBECONFIG_B64``'s description in GitLab's settings."""
    agent_group: pulumi.Input[str] | None = None
    """Agent mode: the GitLab CI job group the deployer's Role is bound to; then no ServiceAccount,
    no token and no ``KUBECONFIG_B64`` variable exist (:mod:`.cluster_access`). Default none."""

    def __post_init__(self) -> None:
        for name, kind in (
            ("namespace", NamespaceArgs),
            ("cluster", ClusterArgs),
            ("access", DeployerAccess),
            ("backend", PulumiBackendArgs),
        ):
            if not isinstance(getattr(self, name), kind):
                raise v.InvalidArgument(name, getattr(self, name), f"must be a {kind.__name__}")
        if self.image_pull is not None and not isinstance(self.image_pull, ImagePullSpec):
            raise v.InvalidArgument("image_pull", self.image_pull, "must be an ImagePullSpec")
        gitlab_rules.environment_scope("environment_scope", self.environment_scope)
        v.boolean("protected", self.protected)
        v.boolean("hidden_variables", self.hidden_variables)
        if self.image_pull is not None and self.deploy_token_expires_at is not None:
            raise v.InvalidArgument(
                "deploy_token_expires_at",
                self.deploy_token_expires_at,
                "must not be set: no deploy token is made, the image is pulled with image_pull",
            )
        if makes_pull_secret(self.image_pull):
            # RegistryAccessArgs' own rules: a deploy token needs its expiry date, credentials are whole.
            v.renamed(
                lambda: self.registry_access_args(namespace="namespace"),
                {
                    "expires_at": "deploy_token_expires_at",
                    "username": "image_pull.username",
                    "password": "image_pull.password",
                },
            )

    def registry_access_args(self, *, namespace: pulumi.Input[str]) -> RegistryAccessArgs:
        token = self.image_pull is None
        return RegistryAccessArgs(
            namespace=namespace,
            registry=self.registry,
            app=self.namespace.app,
            instance=self.namespace.instance,
            project=self.project if token else None,
            expires_at=self.deploy_token_expires_at if token else None,
            username=None if self.image_pull is None else self.image_pull.username,
            password=None if self.image_pull is None else self.image_pull.password,
        )


@dataclass(frozen=True)
class DeployTarget:
    """What :func:`deploy_target` made."""

    namespace: pulumi.Output[str]
    """The namespace's name."""
    deployer: Deployer
    pull_secret_name: pulumi.Output[str] | None
    """The pull Secret the pods refer to (the stack's, or ``image_pull.secret_name``); None for a
    public image."""


def deploy_target(name: str, args: DeployTargetArgs, parent: pulumi.Resource) -> DeployTarget:
    """Register the namespace (``{name}-namespace``), the deployer (``{name}-deployer``), the pull
    Secret the stack makes, if any (``{name}-registry``), and the CI/CD variables
    (``{name}-ci-variables``), each a child of ``parent``."""
    child = pulumi.ResourceOptions(parent=parent)
    namespace = Namespace(f"{name}-namespace", args.namespace, opts=child)
    deployer = Deployer(
        f"{name}-deployer",
        DeployerArgs(
            namespace=namespace.name,
            app=args.namespace.app,
            instance=args.namespace.instance,
            cluster=args.cluster,
            access=args.access,
            group=args.agent_group,
        ),
        opts=child,
    )
    pull = args.image_pull
    pull_secret_name: pulumi.Output[str] | None
    if makes_pull_secret(pull):
        registry = RegistryAccess(f"{name}-registry", args.registry_access_args(namespace=namespace.name), opts=child)
        pull_secret_name = registry.pull_secret_name
    else:
        assert pull is not None
        pull_secret_name = None if pull.public else pulumi.Output.from_input(pull.secret_name or "")
    hidden = args.hidden_variables
    CiVariables(
        f"{name}-ci-variables",
        CiVariablesArgs(
            project=args.project,
            environment_scope=args.environment_scope,
            variables=[
                CiVariable(
                    key="KUBE_NAMESPACE",
                    value=namespace.name,
                    protected=False,
                    description=args.namespace_description,
                ),
                # In agent mode the jobs reach the cluster with their own job token: no credential here.
                *(
                    []
                    if args.agent_group is not None
                    else [
                        kubeconfig_variable(
                            deployer.kubeconfig,
                            hidden=hidden,
                            protected=args.protected,
                            description=args.kubeconfig_description,
                        )
                    ]
                ),
                *args.backend.ci_variables(hidden=hidden, protected=args.protected),
            ],
        ),
        opts=child,
    )
    return DeployTarget(namespace=namespace.name, deployer=deployer, pull_secret_name=pull_secret_name)
