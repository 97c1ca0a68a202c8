"""The app's namespace: Pod Security ``restricted``, default-deny ingress, optional quota.

Whether a quota admits the app is :mod:`.quota`'s concern.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from . import kubernetes_names, names, quantities, redaction
from . import validation as v
from .labels import recommended_labels

POD_SECURITY_MODES = ("enforce", "audit", "warn")
# A ResourceQuota key: a qualified resource name, e.g. "pods", "requests.cpu", "count/deployments.apps".
# The ResourceQuota names the API server knows (kubernetes/api core/v1 types.go ResourceName and
# "Object count quota"): a typo ("request.cpu") would be refused at the admin run, or worse, be
# a quota of an extended resource that nothing uses.
QUOTA_RESOURCES = frozenset(
    {"pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps"}
    | {"persistentvolumeclaims", "services.nodeports", "services.loadbalancers", "requests.storage"}
    | {"cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory", "requests.ephemeral-storage"}
    | {"limits.cpu", "limits.memory", "limits.ephemeral-storage"}
)
_QUOTA_PATTERNS = re.compile(
    r"^(count/[a-z0-9]+(\.[a-z0-9-]+)*"  # object counts: count/deployments.apps
    r"|(requests\.|limits\.)?hugepages-[0-9]+[KMGT]i"  # huge pages
    r"|[a-z0-9-]+\.storageclass\.storage\.k8s\.io/(requests\.storage|persistentvolumeclaims)"
    r"|requests\.[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[a-z0-9]([-a-z0-9_.]*[a-z0-9])?)$"  # extended: requests.nvidia.com/gpu
)


@dataclass(frozen=True, kw_only=True)
class LimitRangeArgs:
    """Defaults for containers that declare no requests or limits of their own."""

    default_request: Mapping[str, str] = field(default_factory=lambda: {"cpu": "100m", "memory": "128Mi"})
    """Requests given to a container that sets none. Default: 100m CPU, 128Mi memory."""
    default_limit: Mapping[str, str] = field(default_factory=lambda: {"cpu": "500m", "memory": "256Mi"})
    """Limits given to a container that sets none. Default: 500m CPU, 256Mi memory."""

    def __post_init__(self) -> None:
        for name, values in (("default_request", self.default_request), ("default_limit", self.default_limit)):
            if not isinstance(values, Mapping):
                raise v.InvalidArgument(name, values, "must be a mapping of resource to quantity, e.g. {cpu: 100m}")
            for resource, amount in values.items():
                v.one_of(f"{name}[{resource!r}]", resource, ("cpu", "memory", "ephemeral-storage"))
                resource_quantity(f"{name}.{resource}", resource, amount)
                if quantities.parse_quantity(amount) == 0:
                    # A default of 0 gives every container without its own a limit of none.
                    raise v.InvalidArgument(f"{name}.{resource}", amount, "must be above 0: 0 means unbounded")
        for resource, request in self.default_request.items():
            limit = self.default_limit.get(resource)
            if limit is not None and quantities.parse_quantity(request) > quantities.parse_quantity(limit):
                raise v.InvalidArgument(
                    (f"default_request.{resource}", f"default_limit.{resource}"),
                    (request, limit),
                    "a request cannot exceed its limit",
                )


@dataclass(frozen=True, kw_only=True)
class NamespaceArgs:
    name: str
    """The namespace's name (a DNS-1123 label). Other objects refer to it, so it is set, not autonamed."""
    app: str
    """The app's name, for the recommended labels."""
    instance: str
    """The app instance (app and environment), for the recommended labels."""
    pod_security_version: str = "latest"
    """The Pod Security Standards version pinned by the labels. Default ``latest``: the cluster's own."""
    quota: Mapping[str, str] | None = None
    """ResourceQuota ``hard`` limits, e.g. ``{"requests.cpu": "2", "pods": "20"}``. Default: no quota."""
    limit_range: LimitRangeArgs | None = None
    """Container defaults for the namespace. Default: no LimitRange."""

    def __post_init__(self) -> None:
        kubernetes_names.claimable_namespace("name", self.name)
        kubernetes_names.dns1123_label("app", self.app)
        if self.pod_security_version != "latest" and not _is_minor_version(self.pod_security_version):
            raise v.InvalidArgument("pod_security_version", self.pod_security_version, "must be 'latest' or 'v1.N'")
        if self.quota is not None:
            if not isinstance(self.quota, Mapping) or not self.quota:
                raise v.InvalidArgument("quota", self.quota, "must be a non-empty mapping of resource to quantity")
            for resource, amount in self.quota.items():
                if not isinstance(resource, str) or not (
                    resource in QUOTA_RESOURCES or _QUOTA_PATTERNS.match(resource)
                ):
                    close = difflib.get_close_matches(str(resource), sorted(QUOTA_RESOURCES), n=1)
                    hint = f"did you mean {close[0]!r}? " if close else ""
                    raise v.InvalidArgument(
                        f"quota[{resource!r}]",
                        redaction.Sanitized(str(resource)),
                        f"is not a ResourceQuota resource name; {hint}(e.g. 'requests.cpu', 'limits.memory', 'pods', "
                        "'count/deployments.apps')",
                    )
                resource_quantity(f"quota.{resource}", resource, amount)


def resource_quantity(field: str, resource: str, amount: Any) -> str:
    """An amount of ``resource`` (``memory``, ``limits.cpu``, ``pods``...), in its unit: memory
    with a byte unit, CPU in cores, anything else any quantity."""
    unit = resource.rsplit(".", 1)[-1]
    if unit == "memory":
        return quantities.memory_quantity(field, amount)
    if unit == "cpu":
        return quantities.cpu_quantity(field, amount)
    return quantities.quantity(field, amount)


def _is_minor_version(value: str) -> bool:
    head, _, minor = value.partition(".")
    return head == "v1" and minor.isdigit()


class Namespace(pulumi.ComponentResource):
    """A namespace for one app in one environment.

    Creates:
    - the Namespace, labelled for Pod Security Admission ``restricted`` (enforce, audit, warn);
    - a NetworkPolicy that denies all ingress to every pod unless another policy admits it;
    - optionally a ResourceQuota and a LimitRange.

    Only an admin run may change these: the deployer Role can read them, by name, not write them.
    So each has a fixed name derived from the app (:mod:`gitlab_k8s_cd.components.names`).
    """

    name: pulumi.Output[str]

    def __init__(self, name: str, args: NamespaceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("gitlab-k8s-cd:namespace:Namespace", name, None, opts)
        labels = recommended_labels(args.app, args.instance, "namespace")
        pod_security = {}
        for mode in POD_SECURITY_MODES:
            pod_security[f"pod-security.kubernetes.io/{mode}"] = "restricted"
            pod_security[f"pod-security.kubernetes.io/{mode}-version"] = args.pod_security_version

        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={"name": args.name, "labels": {**labels, **pod_security}},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.name = namespace.metadata.name
        in_namespace = {"namespace": self.name, "labels": labels}

        k8s.networking.v1.NetworkPolicy(
            f"{name}-default-deny-ingress",
            metadata={"name": names.default_deny(args.app), **in_namespace},
            spec={"podSelector": {}, "policyTypes": ["Ingress"]},
            opts=pulumi.ResourceOptions(parent=self),
        )
        if args.quota is not None:
            k8s.core.v1.ResourceQuota(
                f"{name}-quota",
                metadata={"name": names.quota(args.app), **in_namespace},
                spec={"hard": dict(args.quota)},
                opts=pulumi.ResourceOptions(parent=self),
            )
        if args.limit_range is not None:
            k8s.core.v1.LimitRange(
                f"{name}-limits",
                metadata={"name": names.limit_range(args.app), **in_namespace},
                spec={
                    "limits": [
                        {
                            "type": "Container",
                            "defaultRequest": dict(args.limit_range.default_request),
                            "default": dict(args.limit_range.default_limit),
                        }
                    ]
                },
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"name": self.name})
