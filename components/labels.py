"""The labels and annotations that identify an app to Kubernetes and to GitLab.

Kubernetes' recommended labels (``app.kubernetes.io/*``) go on every object. The selector is
a strict subset that never contains anything derived from the image, so an image bump can
never change ``.spec.selector`` (which would replace the Deployment).

GitLab links a Deployment and its pods to an environment through the ``app.gitlab.com/app``
and ``app.gitlab.com/env`` annotations, whose values are GitLab's ``CI_PROJECT_PATH_SLUG`` and
``CI_ENVIRONMENT_SLUG``. The slug functions below reproduce GitLab's own algorithms.
"""

from __future__ import annotations

import hashlib
import re

MANAGED_BY = "pulumi"
PART_OF = "gitlab-k8s-cd"
COMPONENT_LABEL = "app.kubernetes.io/component"
"""The part of the app an object is: a process's name for its pods (``web``, ``worker``)."""


def selector_labels(app: str, instance: str) -> dict[str, str]:
    """The labels a selector matches on: stable for the life of the Deployment."""
    return {"app.kubernetes.io/name": app, "app.kubernetes.io/instance": instance}


def process_selector(app: str, instance: str, process: str) -> dict[str, str]:
    """A process's pods: the app's selector labels and the process (:data:`COMPONENT_LABEL`),
    so that no two processes' Deployments, nor the Service and a worker, select the same pods."""
    return {**selector_labels(app, instance), COMPONENT_LABEL: process}


def recommended_labels(app: str, instance: str, component: str) -> dict[str, str]:
    return {
        **selector_labels(app, instance),
        COMPONENT_LABEL: component,
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }


def gitlab_annotations(project_path: str, environment: str) -> dict[str, str]:
    return {
        "app.gitlab.com/app": project_path_slug(project_path),
        "app.gitlab.com/env": environment_slug(environment),
    }


def project_path_slug(path: str) -> str:
    """GitLab's ``CI_PROJECT_PATH_SLUG``: lowercased, non-alphanumerics to '-', at most 63."""
    slug = re.sub(r"[^a-z0-9]", "-", path.lower())[:63]
    return slug.strip("-")


def environment_slug(name: str) -> str:
    """GitLab's ``CI_ENVIRONMENT_SLUG`` (``Gitlab::Slug::Environment``).

    Lowercase letters and digits, other characters to '-', starting with a letter, no repeated
    '-'. A name that had to change, or is longer than 24, is cut to 17 characters and gets a
    6-character base-36 suffix of its SHA-256, so two names cannot share a slug.
    """
    slug = re.sub(r"[^a-z0-9]", "-", name.lower())
    if not re.match(r"[a-z]", slug):
        slug = f"env-{slug}"
    slug = re.sub(r"-+", "-", slug)
    if len(slug) > 24 or slug != name:
        slug = slug[:17]
        if not slug.endswith("-"):
            slug += "-"
        return slug + _base36(int(hashlib.sha256(name.encode()).hexdigest(), 16))[-6:]
    return slug.removesuffix("-")


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"
