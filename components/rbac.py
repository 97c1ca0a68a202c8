"""The deployer's RBAC, derived from what pulumi-kubernetes asks the API server for, per kind.

A Role that misses one of those requests does not make a deploy fail: it makes it **hang**. The
provider's awaiters subscribe to informers (a LIST, then a WATCH) and wait for their cache to
sync on the provider's lifetime context, before the resource's timeout even starts
(``provider/pkg/clients/informers/factory.go`` ``Subscribe``: ``cache.WaitForCacheSync(f.ctx.Done(), ...)``;
the context is the provider's cancellation context, ``provider/pkg/provider/provider.go``). The
stack stays locked until someone cancels the job. So the Role is not written by hand: it is
derived from :data:`KINDS`, one row per kind a stack can declare, each citing the provider source
it was read from (pulumi/pulumi-kubernetes at v4.32.0; the await code is unchanged to master,
2026-07; the project pins 4.34.2). docs/contracts.md lists the same facts with the tests that tie
them to this code.

What the provider does, for every kind (``provider/pkg/await/await.go``, v4.32.0):

- **create** is a POST (``client.Create``, l. 241-253), not an apply: verb ``create``; a preview
  sends the same POST with ``dryRun=All``;
- **update** is a GET (l. 462), a JSON patch of ``managedFields`` (l. 873-922), then the
  server-side apply PATCH (l. 658-671): verbs ``get``, ``patch``. ``update`` (PUT) is used only
  for CustomResourceDefinitions (l. 574-594), which no stack here declares;
- **delete** is a DELETE (l. 964-970), then an informer on the object's own kind until it is gone
  (l. 984-989, ``await/condition/deleted.go``): ``delete``, ``list``, ``watch``, ``get``;
- **read** (refresh) is a GET (l. 383, 436);
- every create, update and delete also starts an informer on core ``events`` (l. 349-356,
  ``await/watchers.go`` ``NewEventAggregator``): forbidden, it leaks a goroutine rather than hangs.

A *deployed* kind is one CI's runs create, change and delete; a *read* kind is one only an admin
run changes, and CI's runs (the drift check's refresh) only read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import validation as v

ApiResource = tuple[str, str]
"""(API group, resource): ``("apps", "deployments")``; the core group is ``""``."""

DEPLOY_VERBS = frozenset({"create", "get", "patch", "delete", "list", "watch"})
"""What CI needs on a kind it deploys: POST, GET + PATCH, DELETE, and the informer on the kind
(its own awaiter's, and the delete awaiter's)."""
READ_VERBS = frozenset({"get"})
"""What CI needs on a kind only an admin run changes: the refresh's GET."""
INFORMER_VERBS = frozenset({"list", "watch"})
EVENTS: ApiResource = ("", "events")


@dataclass(frozen=True, kw_only=True)
class KindRequests:
    """What pulumi-kubernetes asks the API server for, for one kind, beyond the common requests
    described in the module docstring."""

    group: str
    """The kind's API group (``""`` for core)."""
    resource: str
    """The kind's API resource (plural)."""
    awaits: tuple[ApiResource, ...] = ()
    """Further resources its create/update awaiter lists and watches (informers)."""
    namespaced: bool = True
    """False for a cluster-scoped kind, which a namespaced Role can grant only by name."""
    source: str
    """Where in pulumi/pulumi-kubernetes (v4.32.0) this was read."""

    def __post_init__(self) -> None:
        if not self.resource or self.resource != self.resource.lower():
            raise v.InvalidArgument("resource", self.resource, "must be a lowercase plural API resource")
        if not self.source.startswith("provider/pkg/"):
            raise v.InvalidArgument("source", self.source, "must cite pulumi-kubernetes' provider/pkg/ source")
        for api in self.awaits:
            if len(api) != 2 or not api[1]:
                raise v.InvalidArgument("awaits", api, "must be (API group, resource) pairs")

    @property
    def api(self) -> ApiResource:
        return (self.group, self.resource)


KINDS: Mapping[str, KindRequests] = {
    "apps/v1/Deployment": KindRequests(
        group="apps",
        resource="deployments",
        awaits=(("apps", "replicasets"), ("", "pods"), ("", "persistentvolumeclaims")),
        source="provider/pkg/await/deployment.go l. 163-201 (informers), 216-260 (read lists the same)",
    ),
    "v1/Service": KindRequests(
        group="",
        resource="services",
        awaits=(("", "endpoints"),),
        source="provider/pkg/await/service.go l. 136-154 (informers on services and core/v1 endpoints)",
    ),
    "networking.k8s.io/v1/Ingress": KindRequests(
        group="networking.k8s.io",
        resource="ingresses",
        awaits=(("", "endpoints"), ("", "services")),
        source="provider/pkg/await/ingress.go l. 115-143 (informers on ingresses, endpoints, services)",
    ),
    "v1/ConfigMap": KindRequests(
        group="", resource="configmaps", source="provider/pkg/await/awaiters.go l. 196 (no awaiter)"
    ),
    "v1/Secret": KindRequests(
        group="",
        resource="secrets",
        source="provider/pkg/await/awaiters.go l. 214-216, 431-462 (a service-account-token Secret polls GET)",
    ),
    "v1/ServiceAccount": KindRequests(
        group="",
        resource="serviceaccounts",
        source="provider/pkg/await/awaiters.go l. 221-223, 475-477 (no wait on Kubernetes >= 1.24)",
    ),
    "policy/v1/PodDisruptionBudget": KindRequests(
        group="policy", resource="poddisruptionbudgets", source="provider/pkg/await/awaiters.go l. 184-243 (none)"
    ),
    "networking.k8s.io/v1/NetworkPolicy": KindRequests(
        group="networking.k8s.io",
        resource="networkpolicies",
        source="provider/pkg/await/awaiters.go l. 184-243 (none)",
    ),
    "rbac.authorization.k8s.io/v1/Role": KindRequests(
        group="rbac.authorization.k8s.io", resource="roles", source="provider/pkg/await/awaiters.go l. 232-233"
    ),
    "rbac.authorization.k8s.io/v1/RoleBinding": KindRequests(
        group="rbac.authorization.k8s.io",
        resource="rolebindings",
        source="provider/pkg/await/awaiters.go l. 232-233",
    ),
    "v1/ResourceQuota": KindRequests(
        group="",
        resource="resourcequotas",
        source="provider/pkg/await/awaiters.go l. 211-213, 400-423 (polls GET until status.hard = spec.hard)",
    ),
    "v1/LimitRange": KindRequests(
        group="", resource="limitranges", source="provider/pkg/await/awaiters.go l. 197 (none)"
    ),
    "v1/Namespace": KindRequests(
        group="",
        resource="namespaces",
        namespaced=False,
        # Its delete watches namespaces cluster-wide: only an admin run may ever delete one.
        source="provider/pkg/await/awaiters.go l. 106 (declared, no awaiter); await.go l. 984-989 (delete)",
    ),
}
"""One row per kind a stack declares, keyed ``<apiVersion>/<kind>`` (tests/test_rbac.py checks that
every row is declared by some plan). A kind added to a component needs its row, read at the
provider's source (a Job's awaiter, for one, watches pods: ``provider/pkg/await/job.go``)."""

DIAGNOSTICS: Mapping[ApiResource, frozenset[str]] = {
    # pipeline/deploy.py KubernetesReader.diagnose: a failed rollout's reason, events and logs.
    ("apps", "deployments"): frozenset({"get"}),
    ("apps", "replicasets"): frozenset({"list"}),
    ("", "pods"): frozenset({"list"}),
    ("", "events"): frozenset({"list"}),
    ("", "pods/log"): frozenset({"get"}),
}
"""What the deploy tool reads to explain a failed rollout (``pipeline/deploy.py``)."""


def kind_key(manifest: Mapping[str, Any]) -> str:
    """A manifest's row key in :data:`KINDS`: ``apps/v1/Deployment``."""
    return f"{manifest['apiVersion']}/{manifest['kind']}"


@dataclass(frozen=True, kw_only=True)
class DeployerAccess:
    """What one deployer's runs do to the objects of its namespace, by kind (keys of :data:`KINDS`)."""

    deploys: frozenset[str]
    """Kinds CI's runs create, change and delete."""
    reads: frozenset[str] = frozenset()
    """Kinds only an admin run changes; CI's refresh reads them. ``v1/Namespace`` here grants a
    ``get`` on the deployer's own namespace only."""
    diagnoses: bool = True
    """Whether the deploy tool explains failed rollouts with this identity. Default true."""

    def __post_init__(self) -> None:
        for name in ("deploys", "reads"):
            unknown = sorted(set(getattr(self, name)) - set(KINDS))
            if unknown:
                raise v.InvalidArgument(name, unknown, f"must be kinds of the table in {__name__}: {sorted(KINDS)}")
        for kind in self.deploys:
            if not KINDS[kind].namespaced:
                raise v.InvalidArgument(
                    "deploys", kind, "must be namespaced: a namespaced deployer cannot create or delete it"
                )
        v.boolean("diagnoses", self.diagnoses)

    def requests(self) -> dict[ApiResource, frozenset[str]]:
        """Every (group, resource) the deployer's runs touch, with the verbs they need."""
        needs: dict[ApiResource, set[str]] = defaultdict(set)
        for kind in self.deploys:
            row = KINDS[kind]
            needs[row.api] |= DEPLOY_VERBS
            for awaited in row.awaits:
                needs[awaited] |= INFORMER_VERBS
            needs[EVENTS] |= INFORMER_VERBS
        for kind in self.reads:
            needs[KINDS[kind].api] |= READ_VERBS
        if self.diagnoses:
            for api, verbs in DIAGNOSTICS.items():
                needs[api] |= verbs
        return {api: frozenset(verbs) for api, verbs in needs.items()}


def role_rules(access: DeployerAccess, namespace: Any) -> list[dict[str, Any]]:
    """The Role's rules for ``access``: one rule per API group and set of verbs, resources and
    verbs sorted, so that the same access always renders the same Role. A cluster-scoped kind
    (the namespace) is granted by name, ``namespace``'s."""
    cluster_scoped = {row.api for row in KINDS.values() if not row.namespaced}
    grouped: dict[tuple[str, tuple[str, ...]], list[str]] = defaultdict(list)
    by_name: list[dict[str, Any]] = []
    for (group, resource), verbs in sorted(access.requests().items()):
        if (group, resource) in cluster_scoped:
            # Only reads reach here (deploys must be namespaced), and the API server treats a GET
            # of one's own namespace as a namespaced request.
            by_name.append(
                {"apiGroups": [group], "resources": [resource], "verbs": sorted(verbs), "resourceNames": [namespace]}
            )
            continue
        grouped[(group, tuple(sorted(verbs)))].append(resource)
    rules = [
        {"apiGroups": [group], "resources": sorted(resources), "verbs": list(verbs)}
        for (group, verbs), resources in sorted(grouped.items())
    ]
    return rules + by_name


WORKLOAD_DEPLOYS = frozenset(
    {
        "apps/v1/Deployment",
        "v1/ConfigMap",  # autonamed: a settings change creates a new one and deletes the old
        "v1/Service",
        "policy/v1/PodDisruptionBudget",  # comes and goes with replicas > 1
        "v1/Secret",  # the registry pull secret, re-made when the deploy token is
    }
)
ADMIN_OWNED = frozenset(
    {
        "v1/Namespace",
        "v1/ServiceAccount",
        "rbac.authorization.k8s.io/v1/Role",
        "rbac.authorization.k8s.io/v1/RoleBinding",
        "networking.k8s.io/v1/NetworkPolicy",
        "v1/ResourceQuota",
        "v1/LimitRange",
    }
)
"""Network exposure, quotas, identities and RBAC: only an admin run changes them."""

STACK_DEPLOYER = DeployerAccess(deploys=WORKLOAD_DEPLOYS, reads=ADMIN_OWNED)
"""An environment's deployer (staging's): it deploys the workload, and refreshes the rest."""
REVIEW_DEPLOYER = DeployerAccess(
    deploys=frozenset({"apps/v1/Deployment", "v1/ConfigMap", "v1/Service", "networking.k8s.io/v1/Ingress"})
)
"""The review deployer: each review stack deploys one replica (no PDB), its Service and its
Ingress, and owns nothing else in the shared namespace (no refresh of the base stack's objects)."""
BASE_READER = DeployerAccess(
    deploys=frozenset(),
    reads=frozenset(
        {
            "v1/Namespace",
            "v1/ServiceAccount",
            "v1/Secret",
            "v1/ResourceQuota",
            "networking.k8s.io/v1/NetworkPolicy",
            "rbac.authorization.k8s.io/v1/Role",
            "rbac.authorization.k8s.io/v1/RoleBinding",
        }
    ),
    diagnoses=False,
)
"""The base stack's deployer in the review namespace: it refreshes what the base stack made there."""
