"""The deployer's RBAC, derived from what pulumi-kubernetes asks the API server for, per kind.

A Role that misses one of the provider's requests makes a deploy hang, not fail
(:mod:`gitlab_k8s_cd.components.provider_requests`, which holds those requests per kind, read at
the provider's source). So the Role is not written by hand: it is derived from
:data:`~gitlab_k8s_cd.components.provider_requests.KINDS`.

What the API server's RBAC authorizer can restrict by name (``resourceNames``): a request for one
named object, i.e. ``get``, ``patch``, ``update`` and ``delete``. Not ``create`` (a POST to the
collection carries no name), nor ``list``/``watch`` unless the client sends a ``metadata.name``
field selector, which the provider's informers never do (they watch a whole namespace,
``provider/pkg/await/informers/factory.go`` l. 57, 71, 91-94; docs/contracts.md KR-1, KR-2).
So every object whose name is known when the Role is made has a fixed name
(:mod:`gitlab_k8s_cd.components.names`), and the Role grants get/patch/delete on those names alone.

Objects a deployer's runs touch come in three kinds of access:

- *deployed*: CI's runs create, change and delete them (``create``, ``list``, ``watch`` on any
  name; ``get``, ``patch``, ``delete`` by name where the name is known in advance);
- *updated*: CI's runs change them in place and never create or delete them (``get`` and
  ``patch``, by name): the registry pull Secret, whose data a deploy-token rotation changes;
- *read*: only an admin run changes them; CI's runs (the drift check's refresh) read them (``get``,
  by name).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import names, provider_requests
from . import validation as v
from .provider_requests import DIAGNOSTICS, EVENTS, KINDS, ApiResource

NAMED_VERBS = frozenset({"get", "patch", "delete"})
"""What CI needs on an object it deploys, by name: GET + PATCH (update), DELETE (and the delete
awaiter's GETs)."""
ANY_NAME_VERBS = frozenset({"create", "list", "watch"})
"""What CI needs on a kind it deploys, whatever the name: POST, and the informer on the kind (its
own awaiter's, and the delete awaiter's). RBAC cannot restrict these by name for this client."""
DEPLOY_VERBS = NAMED_VERBS | ANY_NAME_VERBS
UPDATE_VERBS = frozenset({"get", "patch"})
"""What CI needs on an object it changes in place: GET, then the JSON patch of managedFields and
the server-side apply PATCH of an existing object (docs/contracts.md PK-1, KR-3)."""
READ_VERBS = frozenset({"get"})
"""What CI needs on an object only an admin run changes: the refresh's GET."""
INFORMER_VERBS = frozenset({"list", "watch"})
Names = frozenset[str] | None
"""The names a verb is granted on; None: any name (not restricted)."""


def _names(value: Iterable[str] | None) -> Names:
    return None if value is None else frozenset(value)


@dataclass(frozen=True, kw_only=True, eq=False)
class DeployerAccess:
    """What one deployer's runs do to the objects of its namespace, by kind (keys of :data:`KINDS`)
    and by name."""

    deploys: Mapping[str, Iterable[str] | None]
    """Kinds CI's runs create, change and delete, each with the names of its objects (``get``,
    ``patch`` and ``delete`` are granted on those alone), or None where they are not known when
    the Role is made (an autonamed ConfigMap; a review app's objects, named per merge request)."""
    updates: Mapping[str, Iterable[str]] = field(default_factory=dict)
    """Objects CI's runs change in place and never create or delete, by kind and name."""
    reads: Mapping[str, Iterable[str]] = field(default_factory=dict)
    """Objects only an admin run changes, which CI's refresh reads, by kind and name.
    ``v1/Namespace`` takes no names: it is the deployer's own namespace, the only one a namespaced
    Role can grant."""
    diagnoses: bool = True
    """Whether the deploy tool explains failed rollouts with this identity. Default true."""

    def __post_init__(self) -> None:
        for name in ("deploys", "updates", "reads"):
            given = getattr(self, name)
            if not isinstance(given, Mapping):
                raise v.InvalidArgument(name, given, "must map kinds to the names of their objects")
            unknown = sorted(set(given) - set(KINDS))
            if unknown:
                raise v.InvalidArgument(
                    name, unknown, f"must be kinds of the table in {provider_requests.__name__}: {sorted(KINDS)}"
                )
            object.__setattr__(self, name, {kind: _names(given[kind]) for kind in sorted(given)})
        for kind in self.deploys:
            if not KINDS[kind].namespaced:
                raise v.InvalidArgument(
                    "deploys", kind, "must be namespaced: a namespaced deployer cannot create or delete it"
                )
        if "v1/Secret" in self.deploys:
            # Deploying grants create, list and watch on every name: a LIST returns every Secret's
            # data, a create could mint a long-lived token of any ServiceAccount of the namespace.
            raise v.InvalidArgument(
                "deploys",
                "v1/Secret",
                "must not include Secrets, which CI's deployer never creates, lists or watches: declare a Secret in "
                "an admin run and let CI change it by name (updates)",
            )
        for name in ("updates", "reads"):
            for kind, granted in getattr(self, name).items():
                if not KINDS[kind].namespaced:
                    if name == "updates" or granted:
                        raise v.InvalidArgument(
                            name, kind, "may only be read, without names: the deployer's own namespace"
                        )
                elif not granted:
                    raise v.InvalidArgument(name, kind, "must name its objects: CI may only get or patch them by name")
        v.boolean("diagnoses", self.diagnoses)

    def merge(self, other: DeployerAccess) -> DeployerAccess:
        """What both accesses need, in one: each kind's names united (any name, where either grants
        any name), and diagnoses where either does. For a second component in the same namespace,
        whose objects CI's deployer deploys too (:class:`components.ContinuousDeploymentArgs`
        ``extra_deployer_access``)."""
        if not isinstance(other, DeployerAccess):
            raise v.InvalidArgument("other", other, "must be a DeployerAccess")

        def united(mine: Mapping[str, Names], theirs: Mapping[str, Names]) -> dict[str, Names]:
            merged: dict[str, Names] = {}
            for kind in {*mine, *theirs}:
                if kind in mine and kind in theirs:
                    a, b = mine[kind], theirs[kind]
                    merged[kind] = None if a is None or b is None else a | b
                else:
                    merged[kind] = mine[kind] if kind in mine else theirs[kind]
            return merged

        return DeployerAccess(
            deploys=united(self.deploys, other.deploys),  # type: ignore[arg-type]
            updates=united(self.updates, other.updates),  # type: ignore[arg-type]
            reads=united(self.reads, other.reads),  # type: ignore[arg-type]
            diagnoses=self.diagnoses or other.diagnoses,
        )

    def requests(self) -> dict[ApiResource, dict[str, Names]]:
        """Every (group, resource) the deployer's runs touch, each verb with the names it is
        needed on (None: any name)."""
        needs: dict[ApiResource, dict[str, Names]] = defaultdict(dict)

        def grant(api: ApiResource, verbs: Iterable[str], on: Names) -> None:
            for verb in verbs:
                had = needs[api].get(verb, frozenset())
                needs[api][verb] = None if had is None or on is None else had | on

        for kind, on in self.deploys.items():
            row = KINDS[kind]
            grant(row.api, NAMED_VERBS, on)
            grant(row.api, ANY_NAME_VERBS, None)
            for awaited in row.awaits:
                grant(awaited, INFORMER_VERBS, None)
            grant(EVENTS, INFORMER_VERBS, None)
        for kind, on in self.updates.items():
            grant(KINDS[kind].api, UPDATE_VERBS, on)
            grant(EVENTS, INFORMER_VERBS, None)
        for kind, on in self.reads.items():
            grant(KINDS[kind].api, READ_VERBS, on)
            for listed in KINDS[kind].read_lists:
                grant(listed, {"list"}, None)
        if self.diagnoses:
            deployed = {KINDS[kind].api: on for kind, on in self.deploys.items()}
            for api, verbs in DIAGNOSTICS.items():
                grant(api, verbs & INFORMER_VERBS, None)
                grant(api, verbs - INFORMER_VERBS, deployed.get(api))
        return {api: dict(verbs) for api, verbs in needs.items()}


def role_rules(access: DeployerAccess, namespace: Any) -> list[dict[str, Any]]:
    """The Role's rules for ``access`` in ``namespace``: the verbs any name may have first, then
    the verbs restricted to names, grouped so that one rule's resources, names and verbs are
    exactly the requests granted (a rule grants each of its verbs on each of its names of each of
    its resources); everything sorted, so that the same access always renders the same Role. A
    cluster-scoped kind (the namespace) is granted by name, ``namespace``'s."""
    cluster_scoped = {row.api for row in KINDS.values() if not row.namespaced}
    grouped: dict[tuple[str, tuple[str, ...], tuple[str, ...]], list[str]] = defaultdict(list)
    by_namespace: list[dict[str, Any]] = []
    for (group, resource), verbs in sorted(access.requests().items()):
        if (group, resource) in cluster_scoped:
            # Only reads reach here, and the API server treats a GET of one's own namespace as a
            # namespaced request (docs/contracts.md KR-4).
            by_namespace.append(
                {"apiGroups": [group], "resources": [resource], "verbs": sorted(verbs), "resourceNames": [namespace]}
            )
            continue
        anyone = sorted(verb for verb, on in verbs.items() if on is None)
        if anyone:
            grouped[(group, tuple(anyone), ())].append(resource)
        per_name: dict[str, set[str]] = defaultdict(set)
        for verb, on in verbs.items():
            for name in on or ():
                per_name[name].add(verb)
        by_verbs: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for name, named_verbs in per_name.items():
            by_verbs[tuple(sorted(named_verbs))].append(name)
        for named_verbs, on_names in by_verbs.items():
            grouped[(group, named_verbs, tuple(sorted(on_names)))].append(resource)
    rules = []
    for (group, verbs, on_names), resources in sorted(
        grouped.items(), key=lambda item: (item[0][0], bool(item[0][2]), item[0])
    ):
        rule: dict[str, Any] = {"apiGroups": [group], "resources": sorted(resources), "verbs": list(verbs)}
        if on_names:
            rule["resourceNames"] = list(on_names)
        rules.append(rule)
    return rules + by_namespace


PROCESS_DEPLOYS = ("apps/v1/Deployment", "policy/v1/PodDisruptionBudget", "autoscaling/v2/HorizontalPodAutoscaler")
"""What an environment's Workload deploys per process, under the process's Deployment name. The
PodDisruptionBudget comes and goes with the replicas, the HorizontalPodAutoscaler with
``autoscaling``, which CI's runs may change: the Role grants both whatever they are, since CI
cannot change its own Role."""


def environment_deployer(
    app: str,
    *,
    processes: Iterable[str] = (),
    quota: bool = False,
    limit_range: bool = False,
    ingress: bool = False,
    acme_solver: bool = False,
    pull_secret: bool = True,
    canary: bool = False,
    agent: bool = False,
) -> DeployerAccess:
    """An environment's deployer (staging's), for what :class:`components.ContinuousDeployment`
    declares in the app's namespace: it deploys the workload, updates the pull Secret and the
    secret settings in place, and reads the rest. ``processes``: the app's processes beside web;
    ``quota``, ``limit_range``, ``ingress``: whether the namespace has them; ``acme_solver``:
    whether cert-manager issues the Ingress's certificate (a policy lets the controller reach its
    HTTP-01 solver pods); ``pull_secret``:
    whether the stack makes the pull Secret (from a deploy token or credentials; not for a public
    image, nor for a Secret of your own, which only the kubelet reads); ``canary``: whether the
    stack declares a canary track (web's canary Deployment, which CI's runs create and delete);
    ``agent``: whether CI reaches the cluster through the GitLab agent (no ServiceAccount nor token
    of the deployer's, and its Role bound to a GitLab group instead). Nothing here depends on
    what CI's runs may change (the image, replicas, autoscaling, settings, secrets, the
    migration): CI cannot patch its Role. Adding a process, or changing how the image is pulled,
    is an admin run's change."""
    service = names.workload(app)
    deployments = frozenset({service} | {names.process_workload(service, process) for process in processes})
    # The canary Deployment: CI's deploy-canary run creates it, its promote and abort runs delete
    # it. RBAC cannot restrict a create by name (a POST carries none, docs/contracts.md KR-2), and
    # the Role grants create on deployments already, for the processes' (PROCESS_DEPLOYS): what the
    # canary adds is its name, for get, patch and delete, and only when the stack declares it
    # (which is an admin run's change: CI cannot patch its Role). It has no budget or autoscaler.
    canary_deployment = {names.canary_workload(service)} if canary else set()
    reads = _admin_owned(app, quota=quota, limit_range=limit_range, allow_http=True, agent=agent)
    if ingress:
        # Network exposure, like the NetworkPolicies: an admin run makes it; CI's refresh reads it.
        reads["networking.k8s.io/v1/Ingress"] = {service}
    if acme_solver:
        reads["networking.k8s.io/v1/NetworkPolicy"].add(names.allow_acme_solver(app))
    return DeployerAccess(
        deploys={
            **dict.fromkeys(PROCESS_DEPLOYS, deployments),
            "apps/v1/Deployment": deployments | canary_deployment,
            "v1/Service": {service},
            # Autonamed: a settings change makes a new one (which rolls the pods) and deletes the old.
            "v1/ConfigMap": None,
            # The migration Job, named after each image: by any name, and whether the stack has a
            # migration or not, since CI's runs may turn it on (gitlab_k8s_cd.components.migration).
            "batch/v1/Job": None,
        },
        # A deploy-token rotation (a new deployTokenExpiresAt, through CI's run) and a change of the
        # secret settings change their Secret's data in place: the provider's enableSecretMutable
        # (docs/contracts.md PK-10). No create: a leaked job could mint long-lived ServiceAccount
        # token Secrets; no list: a LIST returns every Secret's data.
        updates={"v1/Secret": {names.app_secrets(app)} | ({names.pull_secret(app)} if pull_secret else set())},
        # The deployer's own token Secret, by name, which its refresh reads (none in agent mode).
        reads=reads if agent else reads | {"v1/Secret": {names.deployer_token(app)}},
    )


def _admin_owned(
    app: str, *, quota: bool, limit_range: bool, allow_http: bool, agent: bool = False
) -> dict[str, set[str]]:
    """Network exposure, quotas, identities and RBAC in an app's namespace: only an admin run
    changes them; the deployer's refresh reads them by name. ``agent``: the deployer is a GitLab
    group (agent mode): no ServiceAccount of its own, and its Role's binding is the agent one."""
    owned: dict[str, set[str]] = {
        "v1/Namespace": set(),
        "v1/ServiceAccount": {names.app_service_account(app)} | (set() if agent else {names.deployer(app)}),
        "rbac.authorization.k8s.io/v1/Role": {names.deployer(app)},
        "rbac.authorization.k8s.io/v1/RoleBinding": {names.deployer_agent(app) if agent else names.deployer(app)},
        "networking.k8s.io/v1/NetworkPolicy": {names.default_deny(app)},
    }
    if allow_http:
        owned["networking.k8s.io/v1/NetworkPolicy"].add(names.allow_http(app))
    if quota:
        owned["v1/ResourceQuota"] = {names.quota(app)}
    if limit_range:
        owned["v1/LimitRange"] = {names.limit_range(app)}
    return owned


REVIEW_DEPLOYER = DeployerAccess(
    deploys=dict.fromkeys(("apps/v1/Deployment", "v1/ConfigMap", "v1/Service", "networking.k8s.io/v1/Ingress"))
)
"""The review deployer: each review stack deploys one replica (no PDB), its ConfigMap, Service and
Ingress, named per merge request (so by no name the base stack's Role could know), and owns
nothing else in the shared namespace: no Secret (not even a read: the wildcard TLS key lives
there), no RBAC, no refresh of the base stack's objects. Its runs explain failed rollouts with the
deploy tool, as staging's do. (A Deployment it creates could still mount a Secret of the
namespace: RBAC does not check what a pod refers to; README, "What RBAC alone cannot stop".)"""


def base_reader(app: str, *, quota: bool = False, pull_secret: bool = True, agent: bool = False) -> DeployerAccess:
    """The base stack's deployer in the review namespace: it reads, by name, what the base stack
    made there (its drift check refreshes them) and changes nothing. ``quota``: whether the
    review namespace has one; ``pull_secret``: whether the base stack made its pull Secret;
    ``agent``: agent mode (no review deployer token, the agent RoleBinding instead)."""
    owned = _admin_owned(app, quota=quota, limit_range=False, allow_http=True, agent=agent)
    owned["rbac.authorization.k8s.io/v1/Role"].add(names.base_reader(app))
    owned["rbac.authorization.k8s.io/v1/RoleBinding"].add(names.base_reader(app))
    secrets = set() if agent else {names.deployer_token(app)}
    owned["v1/Secret"] = secrets | ({names.pull_secret(app)} if pull_secret else set())
    if not owned["v1/Secret"]:
        del owned["v1/Secret"]
    return DeployerAccess(deploys={}, reads=owned, diagnoses=False)
