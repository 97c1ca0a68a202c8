"""Whether a namespace's ResourceQuota admits the app: its pods at a rollout's peak, the
migration's pod beside them, and the objects the namespace holds.

A quota that cannot admit a rollout's peak makes every rollout stall at its surge pods; one that
cannot admit the namespace's own objects makes the deploy fail (403 on create). Both are refused
at config time, naming the quota's key, its value and what it must be at least.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

from . import quantities
from . import validation as v
from .ingress import ACME_SOLVER_USAGE

if TYPE_CHECKING:
    from .app_spec import AppSpec

# ResourceQuota's names for what a pod holds; "cpu" and "memory" are requests.cpu and requests.memory.
_QUOTA_ALIASES = {"cpu": "requests.cpu", "memory": "requests.memory", "count/pods": "pods"}


def quota_shortfall(quota: Mapping[str, str], usage: Mapping[str, Decimal]) -> tuple[str, Decimal] | None:
    """The first quota resource (in ``quota``'s order) that ``usage`` exceeds, with the amount needed;
    None when the quota admits it. ``usage`` is in ResourceQuota's terms (``pods``, ``requests.cpu``...)."""
    for resource, amount in quota.items():
        needed = usage.get(_QUOTA_ALIASES.get(resource, resource))
        if needed is not None and needed > quantities.parse_quantity(amount):
            return resource, needed
    return None


def check_environment_quota(
    quota: Mapping[str, str], spec: AppSpec, *, ingress: bool, tls_secret: bool, acme: bool, pull_secret: bool
) -> None:
    """An environment's ``quota``: the rollout's peak (and cert-manager's HTTP-01 solver beside it
    when ``acme``), the migration's pod beside every process, and the namespace's objects."""
    shortfall = quota_shortfall(quota, _with_solver(spec.peak_usage(), acme))
    if shortfall is not None:
        raise _rollout_error("quota", shortfall, spec, quota, acme=acme)
    if spec.migration is not None:
        # Before the rollout, the migration's pod runs beside every process at its most replicas.
        usage = _with_solver(spec.migration_usage(), acme)
        shortfall = quota_shortfall(quota, usage)
        if shortfall is not None:
            resource, needed = shortfall
            solver = ", cert-manager's HTTP-01 solver 1" if acme else ""
            raise v.InvalidArgument(
                f"quota.{resource}",
                quota[resource],
                f"must admit the migration's {int(usage['pods'])} pods ({spec.migration_text()}{solver}), "
                f"which need {resource} {amount(needed)}: the quota would refuse the migration's pod, and every "
                "deploy would fail",
            )
    counts = object_counts(
        spec, review=False, ingress=ingress, pull_secret=pull_secret, tls_secret=tls_secret, acme=acme
    )
    check_counts("quota", quota, counts)


def check_review_quota(quota: Mapping[str, str], review: AppSpec, *, pull_secret: bool) -> None:
    """The review namespace's quota (config ``review_apps.quota``): one review app's rollout, and the
    namespace's objects. ``review`` is the review apps' spec (:meth:`AppSpec.for_review`)."""
    shortfall = quota_shortfall(quota, review.peak_usage())
    if shortfall is not None:
        raise _rollout_error("review_apps.quota", shortfall, review, quota)
    check_counts("review_apps.quota", quota, object_counts(review, review=True, ingress=True, pull_secret=pull_secret))


def _with_solver(usage: dict[str, Decimal], acme: bool) -> dict[str, Decimal]:
    """``usage``, and cert-manager's solver pod, which may run beside it (docs/contracts.md CM-1)."""
    if acme:
        for resource, quantity in ACME_SOLVER_USAGE.items():
            usage[resource] = usage.get(resource, Decimal(0)) + quantities.parse_quantity(quantity)
    return usage


def _rollout_error(
    field: str, shortfall: tuple[str, Decimal], spec: AppSpec, quota: Mapping[str, str], acme: bool = False
) -> Exception:
    resource, needed = shortfall
    what = "review app's rollout" if field.startswith("review") else "rollout"
    pods = spec.peak_pods + int(acme)
    solver = ", and cert-manager's HTTP-01 solver 1" if acme else ""
    return v.InvalidArgument(
        f"{field}.{resource}",
        quota[resource],
        f"must admit the {what}'s peak of {pods} pods ({spec.peak_text()}{solver}), which need {resource} "
        f"{amount(needed)}: the quota would refuse the surge pods and the rollout could never finish",
    )


def amount(value: Decimal) -> str:
    """A quantity for a message: ``192Mi`` rather than 201326592, ``0.3`` cores rather than 0.300."""
    for suffix, scale in (("Gi", 2**30), ("Mi", 2**20)):
        if value >= scale and value % scale == 0:
            return f"{value // scale}{suffix}"
    if value % 1 and (value * 1000) % 1 == 0:
        return f"{value * 1000:f}".rstrip("0").rstrip(".") + "m"
    return format(value.normalize(), "f")


def object_counts(
    spec: AppSpec,
    *,
    review: bool,
    ingress: bool,
    pull_secret: bool = True,
    tls_secret: bool = False,
    acme: bool = False,
) -> dict[str, int]:
    """The objects a namespace holds at least, at a rollout's peak, by ResourceQuota's names (both
    the core ones, ``configmaps``, and ``count/<resource>``): the stack's own, plus the
    ``kube-root-ca.crt`` ConfigMap and the ``default`` ServiceAccount Kubernetes puts in every
    namespace (docs/contracts.md KA-7). A review namespace counts one review app. ``pull_secret``:
    whether the namespace holds a pull Secret (the stack's, or your own; none for a public image);
    ``tls_secret``: the Ingress's TLS Secret; ``acme``: whether cert-manager issues it, with, while
    it proves a domain, a temporary private key Secret and its HTTP-01 solver's Service and Ingress
    (docs/contracts.md CM-1), and the stack's policy that admits the controller to the solver."""
    processes = spec.running() + spec.tracks()
    counts = {
        "count/deployments.apps": len(processes),
        # Per process, the old ReplicaSets kept for a rollback, the current one and the rollout's new one.
        "count/replicasets.apps": sum(p.rollout.revision_history_limit + 2 for p in processes),
        # kube-root-ca.crt, and the settings ConfigMap twice while a settings change rolls out.
        "configmaps": 3,
        # The deployer's token, the pull secret; an environment's secret settings.
        "secrets": 1 + int(pull_secret) + int(not review),
        "services": 1,
        "count/serviceaccounts": 3,  # default, the app's and the deployer's
        "count/networkpolicies.networking.k8s.io": 1 if review else 2,
        "count/roles.rbac.authorization.k8s.io": 2 if review else 1,
        "count/rolebindings.rbac.authorization.k8s.io": 2 if review else 1,
        "resourcequotas": 1,
    }
    if ingress:
        counts["count/ingresses.networking.k8s.io"] = 1
    if tls_secret:
        counts["secrets"] += 1
    if acme:
        counts["secrets"] += 1
        counts["services"] += 1
        counts["count/ingresses.networking.k8s.io"] += 1
        counts["count/networkpolicies.networking.k8s.io"] += 1
    # The canary has no budget: it is web's on the canary track.
    budgets = 0 if review else sum(1 for p in spec.running() if p.disruption_budget)
    if budgets:
        counts["count/poddisruptionbudgets.policy"] = budgets
    autoscalers = sum(1 for p in processes if p.autoscaling is not None)
    if autoscalers:
        counts["count/horizontalpodautoscalers.autoscaling"] = autoscalers
    if spec.migration is not None:
        # One at a time: a new image's Job replaces the last one, deleting it first (migration.py).
        counts["count/jobs.batch"] = 1
        # The deploy tool's rollback leaves the Job alone (--exclude), and Pulumi then deletes
        # nothing the Job depends on, the settings ConfigMap under any of its names (docs/contracts.md
        # PC-11): after a rollout that failed with new settings, and its rollback, the previous, the
        # failed and the restored ConfigMaps stay until the next deploy, which adds its own.
        counts["configmaps"] += 2
    for core in ("configmaps", "secrets", "services", "resourcequotas"):
        counts[f"count/{core}"] = counts[core]
    return counts


def check_counts(field: str, quota: Mapping[str, str], counts: Mapping[str, int]) -> None:
    shortfall = quota_shortfall(quota, {resource: Decimal(count) for resource, count in counts.items()})
    if shortfall is not None:
        resource, needed = shortfall
        raise v.InvalidArgument(
            f"{field}.{resource}",
            quota[resource],
            f"must be at least {needed}: the namespace holds that many at a rollout's peak (the stack's "
            "objects, and what Kubernetes adds to every namespace), and the API server would refuse the rest",
        )
