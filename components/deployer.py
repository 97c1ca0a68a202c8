"""The deployer: the namespaced identity that CI's ``pulumi up`` runs with."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from . import validation as v
from .labels import recommended_labels

READ_VERBS = ["get", "list", "watch"]
MANAGE_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"]

DEPLOYER_RULES: tuple[Mapping[str, Any], ...] = (
    # The workload: CI creates, changes and deletes these on every deploy. A ConfigMap change
    # creates a new autonamed ConfigMap and deletes the old one; a PDB comes and goes with replicas.
    {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": MANAGE_VERBS},
    {"apiGroups": [""], "resources": ["configmaps", "services", "secrets"], "verbs": MANAGE_VERBS},
    {"apiGroups": ["policy"], "resources": ["poddisruptionbudgets"], "verbs": MANAGE_VERBS},
    # Read-only, for the rollout wait (without list/watch it hangs instead of failing) and for
    # the logs and events a failed rollout is diagnosed with.
    {"apiGroups": ["apps"], "resources": ["replicasets"], "verbs": READ_VERBS},
    {"apiGroups": [""], "resources": ["pods", "pods/log", "events", "persistentvolumeclaims"], "verbs": READ_VERBS},
    {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": READ_VERBS},
    # What only an admin run may change, readable so that `pulumi refresh` works from CI:
    # network exposure, quotas, the app's and the deployer's own identity and RBAC.
    {"apiGroups": [""], "resources": ["serviceaccounts", "resourcequotas", "limitranges"], "verbs": READ_VERBS},
    {"apiGroups": ["networking.k8s.io"], "resources": ["networkpolicies"], "verbs": READ_VERBS},
    {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles", "rolebindings"], "verbs": READ_VERBS},
)
"""The deployer Role's rules: every resource and verb spelled out, nothing cluster-scoped.

A rule for ``get`` on the namespace object itself (restricted to its own name) is added by
:class:`Deployer`, because it needs the namespace's name.
"""


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
        v.dns1123_subdomain("name", self.name)
        v.absolute_url("server", self.server)
        v.pem_certificate_base64("ca_data", self.ca_data)


@dataclass(frozen=True, kw_only=True)
class DeployerArgs:
    namespace: pulumi.Input[str]
    """The namespace the deployer may deploy into, and nowhere else."""
    app: str
    """The app's name, for labels and the ServiceAccount's name."""
    instance: str
    """The app instance, for labels."""
    cluster: ClusterArgs
    """The cluster the kubeconfig points at."""
    rules: Sequence[Mapping[str, Any]] = field(default_factory=lambda: DEPLOYER_RULES)
    """The Role's rules. Default :data:`DEPLOYER_RULES`. Wildcards are refused."""

    def __post_init__(self) -> None:
        v.dns1123_label("app", self.app)
        for index, rule in enumerate(self.rules):
            for key in ("apiGroups", "resources", "verbs"):
                if "*" in rule.get(key, ()):
                    raise v.InvalidArgument(
                        f"rules[{index}].{key}", list(rule[key]), "must list names explicitly, no '*'"
                    )
            if not rule.get("resources") or not rule.get("verbs"):
                raise v.InvalidArgument(f"rules[{index}]", dict(rule), "must name resources and verbs")


class Deployer(pulumi.ComponentResource):
    """The identity CI deploys with.

    Creates:
    - a ServiceAccount;
    - a namespaced Role with explicit resources and verbs, and a RoleBinding to it;
    - a long-lived token Secret (``kubernetes.io/service-account-token``);
    - ``kubeconfig``: a kubeconfig for that token, as a secret Output.
    """

    service_account_name: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    token: pulumi.Output[str]

    def __init__(self, name: str, args: DeployerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("gitlab-k8s-cd:deployer:Deployer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = recommended_labels(args.app, args.instance, "deployer")
        # Named, because the RoleBinding and the token Secret refer to them by name.
        account = k8s.core.v1.ServiceAccount(
            f"{name}-service-account",
            metadata={"name": f"{args.app}-deployer", "namespace": args.namespace, "labels": labels},
            # The token is the Secret below; no pod runs as the deployer.
            automount_service_account_token=False,
            opts=child,
        )
        own_namespace = {
            "apiGroups": [""],
            "resources": ["namespaces"],
            "verbs": ["get"],
            "resourceNames": [args.namespace],
        }
        role = k8s.rbac.v1.Role(
            f"{name}-role",
            metadata={"name": f"{args.app}-deployer", "namespace": args.namespace, "labels": labels},
            rules=[dict(rule) for rule in args.rules] + [own_namespace],
            opts=child,
        )
        k8s.rbac.v1.RoleBinding(
            f"{name}-role-binding",
            metadata={"namespace": args.namespace, "labels": labels},
            role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role.metadata.name},
            subjects=[{"kind": "ServiceAccount", "name": account.metadata.name, "namespace": args.namespace}],
            opts=child,
        )
        token_secret = k8s.core.v1.Secret(
            f"{name}-token",
            metadata={
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
