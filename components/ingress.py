"""An Ingress to the app's web process, and the NetworkPolicy that lets traffic reach its port."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pulumi
import pulumi_kubernetes as k8s

from . import kubernetes_names
from . import validation as v


@dataclass(frozen=True, kw_only=True)
class IngressArgs:
    """An Ingress that routes ``https://<host><path>`` to the app's Service, always over TLS."""

    host: str
    """The host name (a DNS-1123 subdomain)."""
    path: str = "/"
    """The path prefix routed to the app. Default ``/``."""
    class_name: str | None = None
    """The IngressClass. Default: the cluster's default class."""
    tls_secret: str | None = None
    """The TLS Secret for ``host`` in the app's namespace: an existing one, or the one cert-manager
    makes there when ``cluster_issuer`` or ``issuer`` is set. Default: none, TLS with the ingress
    controller's default certificate (a ``tls`` entry without ``secretName``), e.g. a wildcard
    certificate kept in the controller's own namespace (ingress-nginx ``--default-ssl-certificate``)."""
    cluster_issuer: str | None = None
    """A cert-manager ClusterIssuer that issues the certificate (``cert-manager.io/cluster-issuer``).
    Needs ``tls_secret``: the Secret cert-manager writes (docs/contracts.md CM-1). Default: none."""
    issuer: str | None = None
    """A cert-manager Issuer of the app's namespace (``cert-manager.io/issuer``). Default: none."""
    controller_namespace: str | None = None
    """The ingress controller's namespace. When set, the app's port admits traffic from that
    namespace's pods only (matched by the ``kubernetes.io/metadata.name`` label every namespace
    has, docs/contracts.md KA-8), and of those only the ones ``controller_pod_labels`` match; the
    namespace's default-deny policy refuses the rest. Default: none, the port admits any source
    (review apps: the review namespace's owner admits it)."""
    controller_pod_labels: Mapping[str, str] = field(default_factory=dict)
    """The ingress controller's pod labels, with ``controller_namespace``. Default: none, every pod
    of that namespace."""
    await_seconds: int | None = None
    """How long Pulumi waits for the Ingress to get an address and live endpoints. Default:
    Pulumi's own (10 minutes)."""

    def __post_init__(self) -> None:
        kubernetes_names.dns1123_subdomain("host", self.host)
        v.http_path("path", self.path)
        for name in ("class_name", "tls_secret", "cluster_issuer", "issuer"):
            if getattr(self, name) is not None:
                kubernetes_names.dns1123_subdomain(name, getattr(self, name))
        if self.controller_namespace is not None:
            kubernetes_names.dns1123_label("controller_namespace", self.controller_namespace)
        kubernetes_names.label_selector("controller_pod_labels", self.controller_pod_labels)
        if self.await_seconds is not None:
            v.integer("await_seconds", self.await_seconds, minimum=1, maximum=v.WAIT_MAX_SECONDS)
        if self.cluster_issuer is not None and self.issuer is not None:
            raise v.InvalidArgument(
                ("cluster_issuer", "issuer"),
                (self.cluster_issuer, self.issuer),
                "only one may be set: cert-manager takes one issuer per Ingress",
            )
        if (self.cluster_issuer or self.issuer) and self.tls_secret is None:
            raise v.InvalidArgument(
                ("tls_secret", "cluster_issuer" if self.cluster_issuer else "issuer"),
                (None, self.cluster_issuer or self.issuer),
                "a cert-manager issuer needs tls_secret: the Secret it writes the certificate to "
                "(without one, cert-manager issues nothing)",
            )

    @property
    def acme(self) -> bool:
        """Whether cert-manager issues its certificate (then over HTTP-01 or DNS-01: the issuer's choice)."""
        return self.cluster_issuer is not None or self.issuer is not None

    def annotations(self) -> dict[str, str]:
        """cert-manager's ingress-shim annotation, and Pulumi's wait."""
        annotations = {}
        if self.cluster_issuer is not None:
            annotations["cert-manager.io/cluster-issuer"] = self.cluster_issuer
        if self.issuer is not None:
            annotations["cert-manager.io/issuer"] = self.issuer
        if self.await_seconds is not None:
            annotations["pulumi.com/timeoutSeconds"] = str(self.await_seconds)
        return annotations


def allow_http_spec(
    selector: Mapping[str, str],
    port: int,
    *,
    from_namespace: str | None = None,
    from_pods: Mapping[str, str] | None = None,
) -> dict[str, object]:
    """A NetworkPolicy spec that admits TCP traffic to ``port`` of the pods ``selector`` matches:
    from the pods of namespace ``from_namespace`` only (those ``from_pods`` matches), when given."""
    rule: dict[str, object] = {"ports": [{"port": port, "protocol": "TCP"}]}
    if from_namespace is not None:
        # Every namespace carries its own name as this label (docs/contracts.md KA-8). One peer
        # with both selectors: the pods that match the labels *in* that namespace.
        peer: dict[str, object] = {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": from_namespace}}
        }
        if from_pods:
            peer["podSelector"] = {"matchLabels": dict(from_pods)}
        rule["from"] = [peer]
    return {"podSelector": {"matchLabels": dict(selector)}, "policyTypes": ["Ingress"], "ingress": [rule]}


def allow_acme_solver_spec(from_namespace: str | None, from_pods: Mapping[str, str] | None) -> dict[str, object]:
    """A NetworkPolicy spec that lets the ingress controller reach cert-manager's HTTP-01 solver
    pods, which cert-manager runs in the Ingress's namespace, where the default-deny policy would
    refuse it the challenge (docs/contracts.md CM-1). It selects nothing between two issuances."""
    return allow_http_spec(ACME_SOLVER_LABELS, ACME_SOLVER_PORT, from_namespace=from_namespace, from_pods=from_pods)


def ingress(
    name: str,
    args: IngressArgs,
    metadata: Mapping[str, object],
    service: pulumi.Input[str],
    port: int,
    opts: pulumi.ResourceOptions,
) -> k8s.networking.v1.Ingress:
    spec: dict[str, object] = {
        "rules": [
            {
                "host": args.host,
                "http": {
                    "paths": [
                        {
                            "path": args.path,
                            "pathType": "Prefix",
                            "backend": {"service": {"name": service, "port": {"number": port}}},
                        }
                    ]
                },
            }
        ],
    }
    if args.class_name is not None:
        spec["ingressClassName"] = args.class_name
    # Always TLS: without secretName, the controller's default certificate (and its https redirect).
    spec["tls"] = [{"hosts": [args.host], **({"secretName": args.tls_secret} if args.tls_secret else {})}]
    annotations = args.annotations()
    return k8s.networking.v1.Ingress(
        name, metadata={**metadata, **({"annotations": annotations} if annotations else {})}, spec=spec, opts=opts
    )


ACME_SOLVER_LABELS = {"acme.cert-manager.io/http01-solver": "true"}
"""What cert-manager labels its HTTP-01 solver pods with (docs/contracts.md CM-1)."""
ACME_SOLVER_PORT = 8089
"""The port a solver pod listens on (cert-manager ``acmeSolverListenPort``)."""
ACME_SOLVER_USAGE = {
    "pods": "1",
    "requests.cpu": "10m",
    "requests.memory": "64Mi",
    "limits.cpu": "100m",
    "limits.memory": "64Mi",
}
"""A solver pod's share of the namespace's quota while cert-manager proves a domain over HTTP-01
(its controller's defaults; docs/contracts.md CM-1). It runs beside the app, in its namespace."""
DEFAULT_CONTROLLER_NAMESPACE = "ingress-nginx"
"""Where ingress-nginx's official manifests install the controller (docs/contracts.md KA-8)."""
DEFAULT_CONTROLLER_POD_LABELS = {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}
"""ingress-nginx's controller pods' labels in its official manifests (not the release-named
``instance``, nor ``version``): docs/contracts.md KA-8."""


@dataclass(frozen=True, kw_only=True)
class IngressSpec:
    """An environment's Ingress: ``environment_url``'s host and path, to the web process, over TLS."""

    enabled: bool = False
    """Make the Ingress. Default false (the environment is then reached through a route of its own)."""
    class_name: str | None = None
    """The IngressClass. Default: the cluster's default class."""
    tls_secret: str | None = None
    """The TLS Secret in the app's namespace: an existing one, or the one cert-manager writes.
    Default: none, the ingress controller's default certificate."""
    cluster_issuer: str | None = None
    """A cert-manager ClusterIssuer for the certificate (needs ``tls_secret``). Default: none."""
    issuer: str | None = None
    """A cert-manager Issuer of the app's namespace (needs ``tls_secret``). Default: none."""
    controller_namespace: str = DEFAULT_CONTROLLER_NAMESPACE
    """The ingress controller's namespace: web's port admits its pods only. Default ``ingress-nginx``."""
    controller_pod_labels: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_CONTROLLER_POD_LABELS))
    """The controller's pod labels, within that namespace. Default ingress-nginx's controller's
    (``app.kubernetes.io/name: ingress-nginx``, ``app.kubernetes.io/component: controller``); ``{}``
    admits every pod of the namespace."""

    def __post_init__(self) -> None:
        v.boolean("enabled", self.enabled)
        self.args("https://example.com/")

    @property
    def acme(self) -> bool:
        """Whether it is enabled, and cert-manager issues its certificate."""
        return self.enabled and (self.cluster_issuer is not None or self.issuer is not None)

    def args(self, url: str) -> IngressArgs:
        """The Ingress for ``url`` (the environment's)."""
        parts = urlsplit(url)
        return IngressArgs(
            host=parts.hostname or "",
            path=parts.path or "/",
            class_name=self.class_name,
            tls_secret=self.tls_secret,
            cluster_issuer=self.cluster_issuer,
            issuer=self.issuer,
            controller_namespace=self.controller_namespace,
            controller_pod_labels=self.controller_pod_labels,
        )
