"""The deployer: the namespaced identity that CI's ``pulumi up`` runs with."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import yaml

from . import endpoints, kubernetes_names, names
from . import validation as v
from .labels import recommended_labels
from .rbac import DeployerAccess, environment_deployer, role_rules


@dataclass(frozen=True, kw_only=True)
class ClusterArgs:
    """How to reach the cluster, as written into the deployer's kubeconfig."""

    name: str
    """A stable name for the cluster. Also the Kubernetes provider's ``cluster_identifier``, so
    that switching from admin to deployer credentials never replaces the provider."""
    server: str
    """The API server's https URL."""
    ca_data: str
    """Base64 of the cluster CA's PEM certificate (``certificate-authority-data``). Public."""

    def __post_init__(self) -> None:
        kubernetes_names.dns1123_subdomain("name", self.name)
        endpoints.absolute_url("server", self.server)
        endpoints.pem_certificate_base64("ca_data", self.ca_data)


@dataclass(frozen=True, kw_only=True)
class DeployerArgs:
    namespace: pulumi.Input[str]
    """The namespace the deployer may deploy into, and nowhere else."""
    app: str
    """The app's name, for labels and the names of the ServiceAccount, Role, RoleBinding and token
    Secret (:mod:`gitlab_k8s_cd.components.names`)."""
    instance: str
    """The app instance, for labels."""
    cluster: ClusterArgs
    """The cluster the kubeconfig points at."""
    access: DeployerAccess | None = None
    """The objects its runs deploy, update and read, from which its Role is derived
    (:func:`gitlab_k8s_cd.components.rbac.role_rules`). Default: an environment's deployer of ``app`` with
    neither quota nor LimitRange (:func:`gitlab_k8s_cd.components.rbac.environment_deployer`)."""
    group: pulumi.Input[str] | None = None
    """Agent mode: the GitLab CI job group the Role is bound to
    (:func:`gitlab_k8s_cd.components.cluster_access.environment_group`), instead of a
    ServiceAccount with a token and a kubeconfig. Default none (kubeconfig mode)."""

    def __post_init__(self) -> None:
        kubernetes_names.dns1123_label("app", self.app)
        if self.group is not None and not isinstance(self.group, (str, pulumi.Output)):
            raise v.InvalidArgument("group", self.group, "must be a GitLab group name (text or an Output)")
        if self.access is not None and not isinstance(self.access, DeployerAccess):
            raise v.InvalidArgument("access", self.access, "must be a gitlab_k8s_cd.components.rbac.DeployerAccess")

    @property
    def role_access(self) -> DeployerAccess:
        return self.access if self.access is not None else environment_deployer(self.app)


class Deployer(pulumi.ComponentResource):
    """The identity CI deploys with.

    Creates, each named ``<app>-deployer`` (the token ``<app>-deployer-token``), so that Roles can
    grant reading them by name:
    - a ServiceAccount;
    - a namespaced Role derived from what pulumi-kubernetes requests for the objects in
      ``args.access`` (:mod:`gitlab_k8s_cd.components.rbac`), and a RoleBinding to it;
    - a long-lived token Secret (``kubernetes.io/service-account-token``);
    - ``kubeconfig``: a kubeconfig for that token, as a secret Output.

    In agent mode (``args.group``), only the Role, and a RoleBinding ``<app>-deployer-agent`` of
    it to that group: no ServiceAccount, no token, and ``kubeconfig`` and ``token`` are "".
    """

    service_account_name: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    token: pulumi.Output[str]

    def __init__(self, name: str, args: DeployerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("gitlab-k8s-cd:deployer:Deployer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = recommended_labels(args.app, args.instance, "deployer")
        deployer = names.deployer(args.app)
        if args.group is not None:
            self._agent(name, args, labels)
            return
        # Named, because the RoleBinding and the token Secret refer to them by name, and Roles
        # grant reading them by name.
        account = k8s.core.v1.ServiceAccount(
            f"{name}-service-account",
            metadata={"name": deployer, "namespace": args.namespace, "labels": labels},
            # The token is the Secret below; no pod runs as the deployer.
            automount_service_account_token=False,
            opts=child,
        )
        role = k8s.rbac.v1.Role(
            f"{name}-role",
            metadata={"name": deployer, "namespace": args.namespace, "labels": labels},
            rules=role_rules(args.role_access, args.namespace),
            opts=child,
        )
        k8s.rbac.v1.RoleBinding(
            f"{name}-role-binding",
            metadata={"name": deployer, "namespace": args.namespace, "labels": labels},
            role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role.metadata.name},
            subjects=[{"kind": "ServiceAccount", "name": account.metadata.name, "namespace": args.namespace}],
            opts=child,
        )
        token_secret = k8s.core.v1.Secret(
            f"{name}-token",
            metadata={
                # CI's refresh reads it by this name, and only it among the namespace's Secrets.
                "name": names.deployer_token(args.app),
                "namespace": args.namespace,
                "labels": labels,
                "annotations": {"kubernetes.io/service-account.name": account.metadata.name},
            },
            type="kubernetes.io/service-account-token",
            # pulumi-kubernetes waits for the token controller to fill in `data.token`.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[account]),
        )
        self.service_account_name = account.metadata.name
        self.token = pulumi.Output.secret(
            token_secret.data.apply(lambda data: base64.b64decode((data or {}).get("token", "")).decode())
        )
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(self.token, args.namespace, account.metadata.name).apply(
                lambda parts: render_kubeconfig(args.cluster, user=parts[2], token=parts[0], namespace=parts[1])
            )
        )
        self.register_outputs(
            {
                "service_account_name": self.service_account_name,
                "token": self.token,
                "kubeconfig": self.kubeconfig,
            }
        )

    def _agent(self, name: str, args: DeployerArgs, labels: dict[str, str]) -> None:
        # The same Role as in kubeconfig mode (same resource name), so that a switch of mode
        # updates it in place; its binding has a name of its own, so that the switch creates it
        # beside the ServiceAccount's, which it deletes.
        role = k8s.rbac.v1.Role(
            f"{name}-role",
            metadata={"name": names.deployer(args.app), "namespace": args.namespace, "labels": labels},
            rules=role_rules(args.role_access, args.namespace),
            opts=pulumi.ResourceOptions(parent=self),
        )
        k8s.rbac.v1.RoleBinding(
            f"{name}-agent-role-binding",
            metadata={"name": names.deployer_agent(args.app), "namespace": args.namespace, "labels": labels},
            role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role.metadata.name},
            subjects=[{"kind": "Group", "name": args.group, "apiGroup": "rbac.authorization.k8s.io"}],
            opts=pulumi.ResourceOptions(parent=self),
        )
        # No credential exists to hand out: the jobs reach the cluster with their own job token.
        self.service_account_name = pulumi.Output.from_input("")
        self.token = pulumi.Output.secret("")
        self.kubeconfig = pulumi.Output.secret("")
        self.register_outputs({"service_account_name": self.service_account_name, "kubeconfig": self.kubeconfig})


def render_kubeconfig(cluster: ClusterArgs, *, user: str, token: str, namespace: str) -> str:
    """A kubeconfig with one cluster, one token user and one context in ``namespace``."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": cluster.name,
                "cluster": {
                    "server": cluster.server,
                    "certificate-authority-data": cluster.ca_data,
                },
            }
        ],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [
            {"name": cluster.name, "context": {"cluster": cluster.name, "user": user, "namespace": namespace}}
        ],
        "current-context": cluster.name,
    }
    return yaml.safe_dump(config, sort_keys=False)
