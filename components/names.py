"""Every fixed name this library gives a Kubernetes object, and every label value it derives from
the app: made here, and only here, and checked against the API server's limits.

Why fixed names: a Role can restrict ``get``, ``patch``, ``update`` and ``delete`` to objects it
names (``resourceNames``), so every object whose name is known when the Role is made gets one,
and the deployers' Roles (:mod:`gitlab_k8s_cd.components.rbac`) grant those verbs on those names alone. RBAC
cannot restrict ``create`` by name (the request carries none), nor ``list``/``watch`` unless the
client sends a ``metadata.name`` field selector, which pulumi-kubernetes' informers never do
(docs/contracts.md, KR-1 and KR-2). An object whose name changes with its content stays
autonamed: the settings ConfigMap, whose new name on a change rolls the pods.

The limits (docs/contracts.md KA-5; k8s.io/apimachinery ``pkg/util/validation/validation.go``
l. 155-161, 191, 222-238, ``pkg/api/validate/content/kube.go`` l. 74-91, ``pkg/api/validation/generic.go``
l. 42-74; kubernetes ``pkg/apis/core/validation/validation.go``):

- a namespace is a DNS-1123 label (``ValidateNamespaceName``): at most 63 characters;
- a Service is a DNS-1035 label (``ValidateServiceName``): at most 63, starting with a letter
  (1.36 also admits a DNS-1123 label by default; DNS-1035 holds on every version);
- a label value: at most 63 characters, alphanumeric at both ends;
- everything else named here (ServiceAccounts, Secrets, Roles, RoleBindings, NetworkPolicies,
  quotas, Deployments, PodDisruptionBudgets, Ingresses) is a DNS-1123 subdomain: at most 253;
- but a Job: its name becomes its pods' ``job-name`` and ``batch.kubernetes.io/job-name`` label
  values, so it is a DNS-1123 label of at most 63 (docs/contracts.md KA-10).

A name that would break one is refused as a fault of the field it is derived from (usually
``app``), with the name, the limit and the value, before any resource is registered.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from .image_reference import ImageReference
from .labels import environment_slug
from .validation import InvalidArgument

LABEL_MAX = 63
"""DNS-1123 and DNS-1035 labels, and label values."""
SUBDOMAIN_MAX = 253
"""DNS-1123 subdomains."""
REVIEW_IID_DIGITS = 7
"""A base stack checks its review apps' names for merge requests up to !9999999."""

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")

# Each rule: (pattern, maximum length, what it is called in a message).
NAMESPACE = (_DNS1123_LABEL, LABEL_MAX, "a DNS-1123 label (lowercase letters, digits or '-')")
SERVICE = (_DNS1035_LABEL, LABEL_MAX, "a DNS-1035 label (lowercase letters, digits or '-', starting with a letter)")
LABEL_VALUE = (_LABEL_VALUE, LABEL_MAX, "a label value (letters, digits, '-', '_' or '.')")
SUBDOMAIN = (_DNS1123_SUBDOMAIN, SUBDOMAIN_MAX, "a DNS-1123 subdomain")
JOB = (_DNS1123_LABEL, LABEL_MAX, "a DNS-1123 label (a Job's name is its pods' job-name label value)")
MIGRATION_IMAGE_HEX = 12
"""Hex digits of the image's digest in a migration Job's name: 48 bits, so that two images of one
app never share a Job."""


def derived(
    name: str,
    rule: tuple[re.Pattern[str], int, str],
    *,
    what: str,
    field: str,
    value: object,
    hint: str = "shorten the app name",
) -> str:
    """``name``, or an InvalidArgument about ``field`` (whose ``value`` it was derived from) when
    ``name`` breaks ``rule``: ``app: derives the Service name '9x', which must be a DNS-1035 label...``."""
    pattern, limit, kind = rule
    if len(name) > limit or not pattern.match(name):
        if name == value:
            raise InvalidArgument(field, value, f"must be {kind} of at most {limit} characters: it is {what}")
        raise InvalidArgument(
            field,
            value,
            f"derives {what} {name!r} ({len(name)} characters), which must be {kind} of at most {limit} "
            f"characters: {hint}",
        )
    return name


def _named(app: str, suffix: str, what: str) -> str:
    return derived(f"{app}{suffix}", SUBDOMAIN, what=what, field="app", value=app)


# --- in an app's namespace (the environment's, and the review namespace) ------------------------


def deployer(app: str) -> str:
    """The deployer's ServiceAccount, its Role and its RoleBinding."""
    return _named(app, "-deployer", "the deployer's name")


def deployer_token(app: str) -> str:
    """The deployer's long-lived token Secret."""
    return _named(app, "-deployer-token", "the deployer token Secret's name")


def deployer_agent(app: str) -> str:
    """In agent mode, the RoleBinding of the deployer's Role to the GitLab CI job group of the
    environment that may deploy (:mod:`gitlab_k8s_cd.components.cluster_access`)."""
    return _named(app, "-deployer-agent", "the deployer's agent RoleBinding name")


def pull_secret(app: str) -> str:
    """The registry pull Secret the stack makes: from the project's GitLab deploy token, or from
    ``imagePull`` credentials. One name for both, so that a switch between them changes its data
    in place, which CI's deployer may do by this name."""
    return _named(app, "-registry-pull", "the pull Secret's name")


def app_service_account(app: str) -> str:
    """The ServiceAccount the app's pods run as."""
    return _named(app, "", "the app's ServiceAccount name")


def default_deny(app: str) -> str:
    """The namespace's default-deny ingress NetworkPolicy."""
    return _named(app, "-default-deny-ingress", "the default-deny NetworkPolicy's name")


def allow_http(app: str) -> str:
    """The NetworkPolicy that admits traffic to the app's port."""
    return _named(app, "-allow-http", "the allow-http NetworkPolicy's name")


def allow_acme_solver(app: str) -> str:
    """The NetworkPolicy that lets the ingress controller reach cert-manager's HTTP-01 solver pods."""
    return _named(app, "-allow-acme-solver", "the allow-acme-solver NetworkPolicy's name")


def quota(app: str) -> str:
    """The namespace's ResourceQuota."""
    return _named(app, "-quota", "the ResourceQuota's name")


def limit_range(app: str) -> str:
    """The namespace's LimitRange."""
    return _named(app, "-limits", "the LimitRange's name")


def base_reader(app: str) -> str:
    """The Role and RoleBinding that let the base stack's deployer read the review namespace."""
    return _named(app, "-base-reader", "the base reader Role's name")


def app_secrets(app: str) -> str:
    """The Secret of the app's secret settings."""
    return _named(app, "-secrets", "the secret settings' Secret name")


def process_workload(service: str, process: str, *, field: str = "app", value: object = None) -> str:
    """A process's Deployment (and PodDisruptionBudget, HorizontalPodAutoscaler) other than web's:
    ``<service>-<process>``. Its pods' names add 17 characters (``-<hash>-<5>``) to it."""
    return derived(
        f"{service}-{process}",
        SUBDOMAIN,
        what=f"the Deployment name of process {process!r}",
        field=field,
        value=process if value is None else value,
        hint="shorten the process or app name",
    )


def canary_workload(service: str, *, field: str = "app", value: object = None) -> str:
    """web's canary Deployment (:mod:`gitlab_k8s_cd.components.canary`): ``<service>-canary``. A
    process may not be called ``canary`` (:data:`gitlab_k8s_cd.components.process.RESERVED_PROCESS_NAMES`),
    whose Deployment would have this name."""
    return derived(
        f"{service}-canary",
        SUBDOMAIN,
        what="the canary Deployment's name",
        field=field,
        value=service if value is None else value,
    )


def migration_job(service: str, image: ImageReference, *, field: str = "app", value: object = None) -> str:
    """The migration Job of ``image``: ``<service>-migrate-<first 12 hex of its digest>`` (of the
    SHA-256 of the reference, for an image given by tag alone). A new image gets a new Job, since a
    Job's pod template is immutable; the same image keeps its Job. ``service``: web's Deployment
    name; ``field`` and ``value``: what it was derived from (default: ``app``)."""
    digest = image.digest
    hex_digits = digest.partition(":")[2] if digest else hashlib.sha256(str(image).encode()).hexdigest()
    return derived(
        f"{service}-migrate-{hex_digits[:MIGRATION_IMAGE_HEX]}",
        JOB,
        what="the migration Job's name",
        field=field,
        value=service if value is None else value,
        hint="shorten the app name (a migration Job's name adds 21 characters to it)",
    )


def workload(service: str, *, field: str = "app", value: object = None) -> str:
    """The Service, and the Deployment, PodDisruptionBudget and Ingress named after it: clients
    reach the app by the Service's name, so it is a DNS-1035 label. ``field`` and ``value``: what
    it was derived from (default: ``app``, the name itself)."""
    return derived(service, SERVICE, what="the Service name", field=field, value=service if value is None else value)


# --- instances and namespaces -------------------------------------------------------------------


def environment_instance(app: str, environment: str) -> str:
    """``<app>-<environment slug>``: the ``app.kubernetes.io/instance`` label of an environment's
    objects, and its default namespace."""
    return f"{app}-{environment_slug(environment)}"


def review_apps_instance(app: str) -> str:
    """``<app>-review``: the instance label of what review apps share, and their default namespace."""
    return f"{app}-review"


def review_instance(app: str, merge_request_iid: int | str) -> str:
    """``<app>-review-<iid>``: a review app's instance label, and its Service's (and workload's) name."""
    return f"{app}-review-{merge_request_iid}"


def check_environment(app: str, environment: str, review_apps: Any = None) -> None:
    """Every name and label value an environment's stack derives from ``app``; and when
    ``review_apps`` (a :class:`components.ReviewAppsSpec`) is enabled, what review apps share
    (the review namespace, by default ``<app>-review``) and the names of review apps up to
    !9999999 (a review stack checks its own, :func:`check_review_app`)."""
    workload(app)
    label = "the label value app.kubernetes.io/instance"
    instance = environment_instance(app, environment)
    derived(instance, LABEL_VALUE, what=label, field="app", value=app, hint="shorten the app or environment name")
    for made in (deployer, deployer_token, pull_secret, app_service_account, default_deny, allow_http, quota):
        made(app)
    for made in (app_secrets, allow_acme_solver):
        made(app)
    limit_range(app)
    if review_apps is None or not review_apps.enabled:
        return
    base_reader(app)
    shared = review_apps_instance(app)
    derived(shared, LABEL_VALUE, what="the review apps' shared " + label, field="app", value=app)
    if review_apps.namespace is None:
        derived(shared, NAMESPACE, what="the review namespace", field="app", value=app)
    longest = review_instance(app, "9" * REVIEW_IID_DIGITS)
    what = f"the instance label (and Service name) of review app !{'9' * REVIEW_IID_DIGITS}"
    derived(longest, LABEL_VALUE, what=what, field="app", value=app)


def check_review_app(app: str, merge_request_iid: int) -> str:
    """A review app's instance label, which is also its Service's name; returns it."""
    instance = review_instance(app, merge_request_iid)
    derived(instance, LABEL_VALUE, what="the review app's instance label", field="app", value=app)
    return workload(instance, value=app)
