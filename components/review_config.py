"""A review stack's config: derived from its base stack's (``derive_review_config``, which
``python -m gitlab_k8s_cd.pipeline.review config`` writes), and the keys a review stack (one whose
config has ``mergeRequestIid``) takes. Which keys are copied, set, passed by CI or refused is the
key table's (:data:`~.config_keys.KEYS`, ``in_review``)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any

from . import gitlab_rules, redaction
from . import validation as v
from .config import check_namespace, error, reading
from .config import namespace as namespace_read
from .config_binder import UNSET, object_value
from .config_checks import encrypted, reject_wrong_namespace
from .config_keys import KEYS, SECRET_KEYS
from .review_apps import ReviewAppsSpec

REVIEW_COPIED_KEYS = tuple(key.name for key in KEYS if key.in_review == "copy")
"""Copied from the base stack, in the table's order."""
REVIEW_SET_KEYS = tuple(key.name for key in KEYS if key.in_review == "set")
"""Set by derive_review_config: one replica, the merge request, its environment, URL and namespace."""
REVIEW_CI_KEYS = tuple(key.name for key in KEYS if key.in_review == "ci")
"""Passed by CI with each deploy."""
REVIEW_FILTERED_KEYS = {key.name: key.review_members for key in KEYS if key.in_review == "filter"}
"""Keys copied with only these members: never a credential (a review stack holds none)."""
REVIEW_KEYS = frozenset(REVIEW_COPIED_KEYS + REVIEW_SET_KEYS + REVIEW_CI_KEYS + tuple(REVIEW_FILTERED_KEYS))
"""Every key a review stack reads."""
REVIEW_REFUSED = {key.name: key.refused_in_review for key in KEYS if key.in_review is None}
"""Every other key, with why a review stack refuses it."""


def reject_non_review_keys(raw: Mapping[str, Any]) -> None:
    """Refuse, in a review stack, a key only an environment's stack takes, saying why."""
    for key in raw:
        if key not in REVIEW_KEYS:
            given = redaction.Redacted(len(str(raw[key]))) if key in SECRET_KEYS else raw[key]
            raise error((key,), given, REVIEW_REFUSED[key])


def derive_review_config(
    base: Mapping[str, Any],
    *,
    namespace: str,
    merge_request_iid: int,
    environment: str,
    project: str | None = None,
) -> dict[str, Any]:
    """The config of merge request ``!merge_request_iid``'s review stack, from the base stack's.

    ``base`` is the ``config:`` mapping of the base stack's file; ``namespace`` the one the program
    reads its keys from, and ``project`` the project's name (default: ``namespace``), which a key
    without a namespace gets, as the Pulumi CLI gives it. The result (full keys, in ``namespace``)
    keeps what a review app shares with the base (the image, ports, probes, resources, settings,
    the project and the cluster), drops the rest (secrets included), and sets one replica, the
    merge request, the environment, its URL and the review namespace. Raises ConfigError when
    the base stack has no review apps, or holds our keys in a namespace the program does not read.
    """
    namespace = check_namespace(namespace)
    project = namespace if project is None else project
    full = {key if ":" in str(key) else f"{project}:{key}": value for key, value in base.items()}
    with reading(namespace):
        reject_wrong_namespace(
            full, namespace, project, value=full.__getitem__, secret=lambda key: encrypted(full[key])
        )
        ours = {key.partition(":")[2]: value for key, value in full.items() if key.partition(":")[0] == namespace}
        return _derive(ours, merge_request_iid, environment)


def _derive(ours: Mapping[str, Any], merge_request_iid: int, environment: str) -> dict[str, Any]:
    review_apps = object_value(ours, "reviewApps", ReviewAppsSpec)
    if review_apps is UNSET or not review_apps.enabled:
        enabled = ours.get("reviewApps", {}).get("enabled") if isinstance(ours.get("reviewApps"), dict) else None
        raise error(
            ("reviewApps.enabled",), enabled, "must be true in the base stack for merge requests to get review apps"
        )
    if "app" not in ours:
        raise error(("app",), None, "is required")
    try:
        v.integer("mergeRequestIid", merge_request_iid, minimum=1)
        gitlab_rules.environment_name("environment", environment)
    except v.InvalidArgument as refused:
        raise error(refused.fields, refused.values[0], refused.expected) from None
    derived = {key: ours[key] for key in REVIEW_COPIED_KEYS if key in ours}
    for key, members in REVIEW_FILTERED_KEYS.items():
        given = ours.get(key)
        if isinstance(given, str):
            with contextlib.suppress(json.JSONDecodeError):
                given = json.loads(given)
        # How the base stack's pods pull, without its credentials: a review app pulls with the
        # review namespace's pull Secret, which the base stack made from them.
        kept = (
            {member: value for member, value in given.items() if member in members} if isinstance(given, dict) else {}
        )
        if kept:
            derived[key] = kept
    # One replica, which surges one pod and is never taken down: the base stack's bounds are
    # for its replicas (a maxUnavailable of 1 would take a lone review pod down). AppSpec.for_review.
    rollout = ours.get("rollout", {})
    rollout = json.loads(rollout) if isinstance(rollout, str) else dict(rollout)
    derived["rollout"] = {**rollout, "maxSurge": 1, "maxUnavailable": 0}
    processes = ours.get("processes", {})
    processes = json.loads(processes) if isinstance(processes, str) else processes
    if isinstance(processes, dict) and processes:
        # Each process likewise, without its autoscaler (AppSpec.for_review). Anything odd is left
        # for the review stack's own checks to refuse.
        derived["processes"] = {
            name: _review_process(members) if isinstance(members, dict) else members
            for name, members in processes.items()
        }
    derived.update(
        mergeRequestIid=merge_request_iid,
        environment=environment,
        environmentUrl=review_apps.url(environment),
        namespace=review_apps.namespace_for(ours["app"]),
        replicas=1,
    )
    return {f"{namespace_read()}:{key}": value for key, value in derived.items()}


def _review_process(members: Mapping[str, Any]) -> dict[str, Any]:
    own = {member: value for member, value in members.items() if member not in ("replicas", "autoscaling")}
    if isinstance(members.get("rollout"), dict):
        own["rollout"] = {**members["rollout"], "maxSurge": 1, "maxUnavailable": 0}
    return {**own, "replicas": 1}
