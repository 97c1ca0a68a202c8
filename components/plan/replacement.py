"""Which input changes make a provider replace a resource rather than update it.

The mock runtime names an autonamed Kubernetes object after these inputs (a replacement gets a new
name, as it does for real), and the offline diff calls a change of one of them a replacement.
"""

from __future__ import annotations

from collections.abc import Mapping

REPLACE_ON: Mapping[str, tuple[str, ...]] = {
    # Input paths whose change makes the provider replace a resource rather than update it
    # (docs/contracts.md PK-9, PG-4). "*" applies to every Kubernetes kind.
    # pulumi-kubernetes v4.32.0 provider/pkg/provider/diff.go l. 178-212 (matched by exact path):
    "kubernetes:*": ("metadata.name", "metadata.namespace"),
    "kubernetes:apps/v1:Deployment": ("spec.selector",),
    "kubernetes:apps/v1:StatefulSet": (
        "spec.podManagementPolicy",
        "spec.revisionHistoryLimit",
        "spec.selector",
        "spec.serviceName",
        "spec.volumeClaimTemplates",
    ),
    "kubernetes:apps/v1:DaemonSet": ("spec.selector",),
    "kubernetes:batch/v1:Job": ("spec.completions", "spec.parallelism", "spec.selector", "spec.template"),
    # diff.go l. 23-38: data changes replace unless enableConfigMapMutable / enableSecretMutable
    # (both default false, provider.go l. 696-726). This project's program sets enableSecretMutable
    # (docs/contracts.md PK-10), so its Secrets' data changes are updates; a plan redacts secret
    # data anyway, so no diff sees one. The entry holds for `type`, and for other programs.
    "kubernetes:core/v1:ConfigMap": ("data", "binaryData"),
    "kubernetes:core/v1:Secret": ("data", "stringData", "type"),
    "kubernetes:core/v1:Service": ("spec.clusterIP",),
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": ("roleRef",),
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": ("roleRef",),
    # terraform-provider-gitlab RequiresReplace, read in a fork of its Go source (docs/contracts.md
    # PG-4; `description` of the access token, and a variable's `environmentScope`, not verified):
    "gitlab:index/projectDeployToken:ProjectDeployToken": ("project", "name", "username", "scopes", "expiresAt"),
    "gitlab:index/projectAccessToken:ProjectAccessToken": ("project", "name", "scopes", "accessLevel", "description"),
    "gitlab:index/projectVariable:ProjectVariable": ("project", "key", "environmentScope", "hidden"),
    "gitlab:index/projectEnvironment:ProjectEnvironment": ("project", "name"),
    "gitlab:index/projectProtectedEnvironment:ProjectProtectedEnvironment": ("project", "environment"),
    # docs/contracts.md PG-6..8 (RepositoryFile's `project` and `filePath`: not verified).
    "gitlab:index/clusterAgent:ClusterAgent": ("project", "name"),
    "gitlab:index/clusterAgentToken:ClusterAgentToken": ("project", "agentId", "name", "description"),
    "gitlab:index/repositoryFile:RepositoryFile": ("project", "filePath", "branch"),
    # A Project's namespace change is a transfer, in place: nothing of it replaces the project.
    # With a cluster_identifier, only a change of it replaces the provider (pulumi-kubernetes ≥ 4.16).
    "pulumi:providers:kubernetes": ("clusterIdentifier",),
}


def replace_paths(type_: str) -> tuple[str, ...]:
    """The input paths of `type_` whose change replaces it: REPLACE_ON's own, and the common ones of its provider."""
    common = REPLACE_ON["kubernetes:*"] if type_.startswith("kubernetes:") else ()
    return common + REPLACE_ON.get(type_, ())
