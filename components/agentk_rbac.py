"""agentk's identity in the cluster: its namespace, its ServiceAccount, and the one right the CI/CD
tunnel with ``ci_job`` impersonation needs, to impersonate each job (docs/contracts.md AG-1, AG-2).

Cluster-scoped, so an admin's, declared by the bootstrap program ``agent/`` and never by a stack
CI refreshes (CI's identity is namespaced). agentk itself is installed into the namespace with
GitLab's Helm chart, told to use this ServiceAccount and to create no RBAC of its own (README,
"Installing the agent").

The right is wide, and cannot be narrowed: a job's user (``gitlab:ci_job:<job id>``) and its
environment's group (``gitlab:project_env:<id>:<slug>``) are new names for every job and review
environment, and RBAC's ``resourceNames`` take no pattern. So agentk may impersonate any user and
group, ``system:masters`` included: whoever can make agentk forward their own impersonation (a job
the agent's config file lets through with ``access_as: agent``) or act as agentk is a cluster
admin. Keep the agent's project one only admins can write to (:mod:`.gitlab_agent`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from . import kubernetes_names

IMPERSONATED_EXTRAS = (
    "id",
    "config_project_id",
    "project_id",
    "ci_pipeline_id",
    "ci_job_id",
    "username",
    "environment_slug",
    "environment_tier",
)
"""The ``agent.gitlab.com/<key>`` extras KAS sets on a ``ci_job`` request (AG-1; the last two
only for a job with an environment, which every deploying job has). The API server checks
``impersonate`` on ``userextras/<key>`` for each (AG-2)."""


@dataclass(frozen=True, kw_only=True)
class AgentkRbacArgs:
    namespace: str = "gitlab-agent"
    """agentk's namespace, made here. Default gitlab-agent."""
    service_account: str = "gitlab-agent"
    """agentk's ServiceAccount, made here (the Helm chart is told to use it). Default gitlab-agent."""

    def __post_init__(self) -> None:
        kubernetes_names.dns1123_label("namespace", self.namespace)
        kubernetes_names.dns1123_subdomain("service_account", self.service_account)


def impersonation_rules() -> list[dict[str, list[str]]]:
    """What agentk may do, cluster-wide: impersonate users, groups and the job's extras; nothing else."""
    return [
        {"apiGroups": [""], "resources": ["users", "groups"], "verbs": ["impersonate"]},
        {
            "apiGroups": ["authentication.k8s.io"],
            "resources": [f"userextras/agent.gitlab.com/{key}" for key in IMPERSONATED_EXTRAS],
            "verbs": ["impersonate"],
        },
    ]


class AgentkRbac(pulumi.ComponentResource):
    """agentk's Namespace, ServiceAccount, ClusterRole (:func:`impersonation_rules`) and the
    ClusterRoleBinding of one to the other."""

    namespace: pulumi.Output[str]
    service_account: pulumi.Output[str]

    def __init__(self, name: str, args: AgentkRbacArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("gitlab-k8s-cd:agentk_rbac:AgentkRbac", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = {"app.kubernetes.io/name": "gitlab-agent", "app.kubernetes.io/part-of": "gitlab-k8s-cd"}
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={
                "name": args.namespace,
                "labels": {
                    **labels,
                    # baseline, not restricted: the chart's pods set no securityContext unless told
                    # to (AG-4), and restricted would refuse them; audit and warn say what is missing.
                    "pod-security.kubernetes.io/enforce": "baseline",
                    "pod-security.kubernetes.io/audit": "restricted",
                    "pod-security.kubernetes.io/warn": "restricted",
                },
            },
            opts=child,
        )
        account = k8s.core.v1.ServiceAccount(
            f"{name}-service-account",
            metadata={"name": args.service_account, "namespace": namespace.metadata.name, "labels": labels},
            opts=child,
        )
        role = k8s.rbac.v1.ClusterRole(
            f"{name}-cluster-role",
            metadata={"name": f"{args.service_account}-impersonate-ci-jobs", "labels": labels},
            rules=impersonation_rules(),
            opts=child,
        )
        k8s.rbac.v1.ClusterRoleBinding(
            f"{name}-cluster-role-binding",
            metadata={"name": f"{args.service_account}-impersonate-ci-jobs", "labels": labels},
            role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role.metadata.name},
            subjects=[{"kind": "ServiceAccount", "name": account.metadata.name, "namespace": namespace.metadata.name}],
            opts=child,
        )
        self.namespace = namespace.metadata.name
        self.service_account = account.metadata.name
        self.register_outputs({"namespace": self.namespace, "service_account": self.service_account})
