"""The rules of the gitlab-k8s-cd policy pack, as plain functions over a resource's type and inputs.

Each rule reports every violation with a message that says how to fix it. ``__main__.py`` turns
them into a CrossGuard ``PolicyPack``; the tests call them on the staging plan's resources and on
crafted bad ones, since the Pulumi CLI cannot run here.

Inputs are the engine's (camelCase) property names, as a policy pack receives them: secrets
unwrapped, and every number a float (docs/contracts.md PC-9), so a rule compares numbers by value.
The offline plan (gitlab_k8s_cd.components.plan) evaluates these same rules, with the inputs shaped that way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

DEVELOPMENT_TAG = "gitlab-k8s-cd:development"
"""Stack tag (`pulumi stack tag set gitlab-k8s-cd:development true`) that allows tag-only images."""

PLATFORM_TAG = "gitlab-k8s-cd:platform"
"""Stack tag (`pulumi stack tag set gitlab-k8s-cd:platform true`) of a platform stack an admin runs,
such as the agent bootstrap (agent/), which may make cluster-wide grants; an app stack may not."""

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicaSet", "Pod")
CREDENTIAL = re.compile(r"TOKEN|PASSWORD|PASSPHRASE|SECRET|KEY|KUBECONFIG", re.IGNORECASE)
WRITE_SCOPES = ("write_registry", "write_repository", "write_package_registry", "api")
DIGEST = re.compile(r"@(?:sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})\Z")
"""A digest the registry verifies (go-digest's algorithms and hex lengths, as
gitlab_k8s_cd.components.image_reference accepts them; tests/test_policy.py keeps them equal: a pack
run from its folder has only pulumi-policy to import, docs/contracts.md PC-15) at the end of the
reference; \\Z, since $ would allow a trailing newline."""
REVIEW_SCOPE_PREFIX = "review/"


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    level: str
    """``"mandatory"`` or ``"advisory"``: a CrossGuard EnforcementLevel's value (``__main__.py`` makes
    it one). Text here, so that the offline plan loads the rules where pulumi-policy is not installed."""
    check: Callable[[str, Mapping[str, Any], Mapping[str, str]], Iterator[str]]
    """(resource type, inputs, stack tags) -> violation messages."""


def _kind(resource_type: str) -> str:
    return resource_type.rsplit(":", 1)[-1] if resource_type.startswith("kubernetes:") else ""


def _pod_spec(kind: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    spec = props.get("spec") or {}
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        return (((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec")
    return (spec.get("template") or {}).get("spec")


def _containers(resource_type: str, props: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    kind = _kind(resource_type)
    if kind in WORKLOAD_KINDS:
        yield from (_pod_spec(kind, props) or {}).get("containers") or []


NO_PROBE_REASON_ANNOTATION = "gitlab-k8s-cd/no-probe-reason"
MIN_REPLICAS_ANNOTATION = "gitlab-k8s-cd/min-replicas"
"""An autoscaled Deployment's fewest pods (its autoscaler's minReplicas): components/workload.py."""
"""A workload's stated reason for having no probes (components/process.py): a decision, not an omission."""


def probes_and_resources(resource_type: str, props: Mapping[str, Any], tags: Mapping[str, str]) -> Iterator[str]:
    annotations = (props.get("metadata") or {}).get("annotations") or {}
    unprobed = isinstance(annotations, Mapping) and str(annotations.get(NO_PROBE_REASON_ANNOTATION) or "").strip()
    for container in _containers(resource_type, props):
        name = container.get("name")
        for probe in ("readinessProbe", "livenessProbe"):
            if not container.get(probe) and not unprobed:
                yield (
                    f"container {name} has no {probe}: add one so Kubernetes knows when it can take traffic "
                    "and when to restart it"
                )
        resources = container.get("resources") or {}
        for part in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                value = (resources.get(part) or {}).get(resource)
                if _zero_quantity(value):
                    # A zero limit is no limit at all (the container may take the whole node), and a
                    # zero request reserves nothing: both as if unset, so a zero is not a way around it.
                    yield (
                        f"container {name} sets {part}.{resource} to {value!r}, i.e. zero, which "
                        f"{'means unbounded' if part == 'limits' else 'reserves nothing'}: set "
                        f"resources.{part}.{resource} to a positive quantity"
                    )
                elif not value:
                    yield f"container {name} sets no {part}.{resource}: set resources.{part}.{resource}"


_QUANTITY = re.compile(r"[+-]?(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+|[KMGTPE]i|[numkMGTPE])?")


def _zero_quantity(value: Any) -> bool:
    """A Kubernetes quantity of zero in any spelling: 0, 0.0 (a number, as CrossGuard hands it),
    "0", "0m", "0Mi", "0.0", "0e3". Something that is not a quantity is not judged here."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value == 0
    match = _QUANTITY.fullmatch(value) if isinstance(value, str) else None
    return bool(match) and float(match["number"]) == 0


def restricted_security(resource_type: str, props: Mapping[str, Any], tags: Mapping[str, str]) -> Iterator[str]:
    kind = _kind(resource_type)
    pod = (_pod_spec(kind, props) or {}) if kind in WORKLOAD_KINDS else {}
    pod_context = pod.get("securityContext") or {}
    for container in _containers(resource_type, props):
        context = container.get("securityContext") or {}
        name = container.get("name")
        if not (context.get("runAsNonRoot") or pod_context.get("runAsNonRoot")):
            yield f"container {name} may run as root: set securityContext.runAsNonRoot: true"
        if context.get("readOnlyRootFilesystem") is not True:
            yield f"container {name} can write its root filesystem: set securityContext.readOnlyRootFilesystem: true"
        if context.get("allowPrivilegeEscalation") is not False:
            yield f"container {name} allows privilege escalation: set securityContext.allowPrivilegeEscalation: false"
        if "ALL" not in ((context.get("capabilities") or {}).get("drop") or []):
            yield f"container {name} keeps Linux capabilities: set securityContext.capabilities.drop: [ALL]"


def pinned_images(resource_type: str, props: Mapping[str, Any], tags: Mapping[str, str]) -> Iterator[str]:
    development = str(tags.get(DEVELOPMENT_TAG, "")).lower() == "true"
    for container in _containers(resource_type, props):
        image = str(container.get("image", ""))
        if DIGEST.search(image):
            # Pinned, a tag beside the digest included (repo:latest@sha256:...): the runtime pulls
            # the digest and ignores the tag.
            continue
        name, at, _ = image.partition("@")
        last = name.rsplit("/", 1)[-1]
        if at:
            yield (
                f"container {container.get('name')} uses {image!r}, whose digest is not a sha256, sha384 or "
                "sha512 digest of the right length: pin a digest (image@sha256:<64 hex>)"
            )
        elif ":" not in last or last.rsplit(":", 1)[1] == "latest":
            yield f"container {container.get('name')} uses {image!r}, i.e. :latest: pin a digest (image@sha256:...)"
        elif not development:
            yield (
                f"container {container.get('name')} uses the tag-only image {image!r}: deploy by digest "
                f"(image@sha256:...), or, on a development stack, tag the stack {DEVELOPMENT_TAG}=true "
                "(`pulumi stack tag set`; the offline plan's --stack-tag)"
            )


def rollout_bounds(resource_type: str, props: Mapping[str, Any], tags: Mapping[str, str]) -> Iterator[str]:
    if _kind(resource_type) != "Deployment":
        return
    strategy = (props.get("spec") or {}).get("strategy") or {}
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        yield "the Deployment does not use RollingUpdate: a Recreate rollout takes every pod down"
        return
    rolling = strategy.get("rollingUpdate") or {}
    surge, unavailable = rolling.get("maxSurge", "25%"), rolling.get("maxUnavailable", "25%")
    replicas = (props.get("spec") or {}).get("replicas")
    if replicas is None:
        # An autoscaled Deployment sets no replicas (its autoscaler does): it states the fewest it
        # runs, which a rollout must never take down; without either, the API's default, 1.
        stated = ((props.get("metadata") or {}).get("annotations") or {}).get(MIN_REPLICAS_ANNOTATION)
        replicas = int(stated) if isinstance(stated, str) and stated.isdigit() else 1
    unavailable_value = _int_or_percent(unavailable)
    if unavailable_value is not None:
        amount, percent = unavailable_value
        if percent and amount >= 100:
            yield (
                f"maxUnavailable is {unavailable} (100% or more): a rollout may take every pod down; use 0 "
                "(the default here) or a small value"
            )
        elif not percent and _number(replicas) and 0 < replicas <= amount:
            yield (
                f"maxUnavailable is {_show_number(amount)}, which reaches replicas ({_show_number(replicas)}): a "
                "rollout may take every pod down; use 0 (the default here) or fewer than replicas"
            )
    if _zero(surge) and _zero(unavailable):
        yield "maxSurge and maxUnavailable are both 0: the rollout can never start; set maxSurge to 25% or 1"


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _show_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _int_or_percent(value: Any) -> tuple[float, bool] | None:
    """An IntOrString as (amount, is a percentage), compared by value: CrossGuard hands the number
    0 as 0.0, and the API reads "00%" as 0% and "0100%" as 100% (intstr: strconv.Atoi of the
    digits). None for what is neither; the API refuses that before any rollout."""
    if _number(value):
        return float(value), False
    if isinstance(value, str):
        match = re.fullmatch(r"([0-9]+)(%?)", value)
        if match:
            return float(int(match[1])), bool(match[2])
    return None


def _zero(value: Any) -> bool:
    """An IntOrString of zero in any spelling: 0, 0.0, "0", "0%", "00%"."""
    parsed = _int_or_percent(value)
    return parsed is not None and parsed[0] == 0


def no_rbac_wildcards(resource_type: str, props: Mapping[str, Any], tags: Mapping[str, str]) -> Iterator[str]:
    if _kind(resource_type) not in ("Role", "ClusterRole"):
        return
    for index, rule in enumerate(props.get("rules") or []):
        for field in ("apiGroups", "resources", "verbs"):
            if "*" in (rule.get(field) or []):
                yield f"rules[{index}].{field} contains '*': list the {field} this identity needs, explicitly"


def no_cluster_role_binding(resource_type: str, props: Mapping[str, Any], tags: Mapping[str, str]) -> Iterator[str]:
    platform = str(tags.get(PLATFORM_TAG, "")).lower() == "true"
    if _kind(resource_type) == "ClusterRoleBinding" and not platform:
        yield (
            "the app stack creates a ClusterRoleBinding: grant a namespaced Role with a RoleBinding; "
            f"cluster-wide grants belong to the platform, not to an app's stack (a platform stack an admin "
            f"runs is tagged {PLATFORM_TAG}=true)"
        )


def exposed_services(resource_type: str, props: Mapping[str, Any], tags: Mapping[str, str]) -> Iterator[str]:
    if _kind(resource_type) == "Service":
        service_type = (props.get("spec") or {}).get("type", "ClusterIP")
        if service_type in ("LoadBalancer", "NodePort"):
            yield (
                f"the Service is of type {service_type}, reachable from outside the cluster: use ClusterIP "
                "behind an Ingress or Gateway unless the exposure is intended"
            )


def credential_variables_masked(resource_type: str, props: Mapping[str, Any], tags: Mapping[str, str]) -> Iterator[str]:
    if resource_type not in (
        "gitlab:index/projectVariable:ProjectVariable",
        "gitlab:index/groupVariable:GroupVariable",
    ):
        return
    key = str(props.get("key", ""))
    if CREDENTIAL.search(key):
        if props.get("masked") is not True:
            yield f"the variable {key} looks like a credential but is not masked: set masked (and hidden) to true"
        # The one exception: review apps' variables, which merge request pipelines on unprotected
        # branches must read; they open only the review namespace and the review stacks.
        review = str(props.get("environmentScope", "")).startswith(REVIEW_SCOPE_PREFIX)
        if props.get("protected") is not True and not review:
            yield (
                f"the variable {key} looks like a credential but is not protected: set protected to true "
                f"(only {REVIEW_SCOPE_PREFIX}* variables, for review apps, may be unprotected)"
            )


def read_only_deploy_token(resource_type: str, props: Mapping[str, Any], tags: Mapping[str, str]) -> Iterator[str]:
    if resource_type in (
        "gitlab:index/projectDeployToken:ProjectDeployToken",
        "gitlab:index/groupDeployToken:GroupDeployToken",
    ):
        for scope in props.get("scopes") or []:
            if scope in WRITE_SCOPES:
                yield f"the deploy token has the write scope {scope}: a cluster only needs read_registry"


def registry_cleanup_enabled(resource_type: str, props: Mapping[str, Any], tags: Mapping[str, str]) -> Iterator[str]:
    if resource_type == "gitlab:index/project:Project":
        policy = props.get("containerExpirationPolicy") or {}
        if policy.get("enabled") is not True:
            yield "the project's registry cleanup policy is not enabled: set container_expiration_policy.enabled"


MANDATORY, ADVISORY = "mandatory", "advisory"
RULES = (
    Rule(
        "k8s-probes-and-resources",
        "Every container has readiness and liveness probes (unless its workload states why it has none, "
        f"in {NO_PROBE_REASON_ANNOTATION}), requests and limits.",
        MANDATORY,
        probes_and_resources,
    ),
    Rule(
        "k8s-restricted-security-context",
        "Containers run as non-root, read-only, without escalation or capabilities.",
        MANDATORY,
        restricted_security,
    ),
    Rule(
        "k8s-pinned-images",
        "No :latest without a digest; outside development stacks, images are pinned by digest.",
        MANDATORY,
        pinned_images,
    ),
    Rule(
        "k8s-rollout-bounds",
        "Rolling updates never take every pod down and can always start.",
        MANDATORY,
        rollout_bounds,
    ),
    Rule(
        "k8s-no-rbac-wildcards",
        "RBAC rules list their API groups, resources and verbs explicitly.",
        MANDATORY,
        no_rbac_wildcards,
    ),
    Rule(
        "k8s-no-cluster-role-binding",
        "An app stack makes no cluster-wide grant (a platform stack, tagged gitlab-k8s-cd:platform=true, may).",
        MANDATORY,
        no_cluster_role_binding,
    ),
    Rule(
        "k8s-no-external-services", "Services of type LoadBalancer or NodePort are flagged.", ADVISORY, exposed_services
    ),
    Rule(
        "gitlab-credential-variables-masked",
        "Variables that look like credentials are masked, and protected unless scoped to review/*.",
        MANDATORY,
        credential_variables_masked,
    ),
    Rule("gitlab-read-only-deploy-token", "Deploy tokens have no write scope.", MANDATORY, read_only_deploy_token),
    Rule(
        "gitlab-registry-cleanup-enabled",
        "The project's registry cleanup policy is enabled.",
        MANDATORY,
        registry_cleanup_enabled,
    ),
)
