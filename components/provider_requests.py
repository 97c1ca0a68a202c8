"""What pulumi-kubernetes asks the API server for, per kind: data about the provider, read at its source.

A deployer's Role (:mod:`gitlab_k8s_cd.components.rbac`) is derived from :data:`KINDS`, one row per
kind a stack can declare, each citing the provider source it was read from (pulumi/pulumi-kubernetes
at v4.32.0; the await code is unchanged to master, 2026-07; the project pins 4.34.2).
docs/contracts.md lists the same facts with the tests that tie them to this code.

A Role that misses one of those requests does not make a deploy fail: it makes it **hang**. The
provider's awaiters subscribe to informers (a LIST, then a WATCH) and wait for their cache to
sync on the provider's lifetime context, before the resource's timeout even starts
(``provider/pkg/await/informers/factory.go`` l. 141-142, ``Subscribe``:
``cache.WaitForCacheSync(f.ctx.Done(), ...)``;
the context is the provider's cancellation context, ``provider/pkg/provider/provider.go``). The
stack stays locked until someone cancels the job.

What the provider does, for every kind (``provider/pkg/await/await.go``, v4.32.0):

- **create** is a POST (``client.Create``, l. 241-253), not an apply: verb ``create``; a preview
  sends the same POST with ``dryRun=All``;
- **update** is a GET (l. 462), a JSON patch of ``managedFields`` (l. 873-922), then the
  server-side apply PATCH (l. 658-671): verbs ``get``, ``patch``. ``update`` (PUT) is used only
  for CustomResourceDefinitions (l. 574-594), which no stack here declares;
- **delete** is a DELETE (l. 964-970), then an informer on the object's own kind until it is gone
  (l. 984-989, ``await/condition/deleted.go``): ``delete``, ``list``, ``watch``, ``get``;
- **read** (refresh) is a GET (l. 383, 436), and for some kinds LISTs of what their read awaiter
  checks (:attr:`KindRequests.read_lists`: an Ingress lists endpoints and services);
- every create, update and delete also starts an informer on core ``events`` (l. 349-356,
  ``await/watchers.go`` ``NewEventAggregator``; :data:`EVENTS`): forbidden, it leaks a goroutine
  rather than hangs.

The informers watch a whole namespace, with no field selector (``provider/pkg/await/informers/factory.go``
l. 57, 71, 91-94; docs/contracts.md PK-11): their LIST and WATCH carry no object name.

:data:`DIAGNOSTICS` is the same kind of data for this project's own client: what the deploy tool
reads to explain a failed rollout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import validation as v

ApiResource = tuple[str, str]
"""(API group, resource): ``("apps", "deployments")``; the core group is ``""``."""
EVENTS: ApiResource = ("", "events")
"""What every create, update and delete starts an informer on (the event aggregator)."""


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
    read_lists: tuple[ApiResource, ...] = ()
    """Resources its read (a refresh) lists beside the GET of the object itself."""
    namespaced: bool = True
    """False for a cluster-scoped kind, which a namespaced Role can grant only by name."""
    source: str
    """Where in pulumi/pulumi-kubernetes (v4.32.0) this was read."""

    def __post_init__(self) -> None:
        if not self.resource or self.resource != self.resource.lower():
            raise v.InvalidArgument("resource", self.resource, "must be a lowercase plural API resource")
        if not self.source.startswith("provider/pkg/"):
            raise v.InvalidArgument("source", self.source, "must cite pulumi-kubernetes' provider/pkg/ source")
        for name in ("awaits", "read_lists"):
            for api in getattr(self, name):
                if len(api) != 2 or not api[1]:
                    raise v.InvalidArgument(name, api, "must be (API group, resource) pairs")

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
        # A forbidden list is swallowed, and the read then fails as "not ready" (no endpoints): a
        # refresh (the drift check) of an Ingress needs both lists.
        read_lists=(("", "endpoints"), ("", "services")),
        source="provider/pkg/await/ingress.go l. 115-143 (informers on ingresses, endpoints, services), "
        "156-218 (Read: GET, then LISTs of endpoints and services; a failed list reads as none)",
    ),
    "batch/v1/Job": KindRequests(
        group="batch",
        resource="jobs",
        awaits=(("", "pods"),),
        # Read GETs the Job and, unless it is complete, LISTs the namespace's pods for their
        # messages (a failed list is only logged). The drift check does not refresh the Job.
        read_lists=(("", "pods"),),
        source="provider/pkg/await/job.go l. 100-130 (informers on jobs and core/v1 pods), 160-197 (Read: GET, "
        "then a LIST of pods unless complete); await/watchers.go l. 113-139 (the LIST, with no selector)",
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
    "autoscaling/v2/HorizontalPodAutoscaler": KindRequests(
        group="autoscaling",
        resource="horizontalpodautoscalers",
        source="provider/pkg/await/awaiters.go (no awaiter for autoscaling/v2; docs/contracts.md KH-2)",
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
"""One row per kind a stack declares, keyed ``<apiVersion>/<kind>`` (tests/test_provider_requests.py checks that
every row is declared by some plan). A kind added to a component needs its row, read at the
provider's source."""

DIAGNOSTICS: Mapping[ApiResource, frozenset[str]] = {
    # pipeline/deploy.py KubernetesReader.diagnose: a failed rollout's reason, events and logs. It
    # reads the Deployment by the name the stack exports, so that get is by the Deployment's names.
    ("apps", "deployments"): frozenset({"get"}),
    ("apps", "replicasets"): frozenset({"list"}),
    ("", "pods"): frozenset({"list"}),
    ("", "events"): frozenset({"list"}),
    ("", "pods/log"): frozenset({"get"}),
    # KubernetesReader.migration: the migration Job of the image that failed (named after it, so
    # by any name; an environment's deployer deploys Jobs by any name anyway), then its pods, their
    # events and logs, as above.
    ("batch", "jobs"): frozenset({"get"}),
}
"""What the deploy tool reads to explain a failed rollout or migration (``pipeline/deploy.py``);
the review job runs the same tool (``templates/continuous-deployment.yml``, ``gitlab-k8s-cd-review``),
whose stacks have no migration: the Job it asks for is never there."""


def kind_key(manifest: Mapping[str, Any]) -> str:
    """A manifest's row key in :data:`KINDS`: ``apps/v1/Deployment``."""
    return f"{manifest['apiVersion']}/{manifest['kind']}"
