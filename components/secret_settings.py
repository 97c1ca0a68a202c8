"""An app's secret settings: environment variables from one Secret of a fixed name, which every
process (and the migration Job) reads through ``envFrom``, and the pod annotation that rolls the
pods when they change. :class:`~.workload.Workload` checks its ``secrets`` with :func:`check` and
declares them with :func:`register`."""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from . import container_inputs, names, redaction
from . import validation as v

SECRETS_VERSION_ANNOTATION = "gitlab-k8s-cd/secrets-version"
"""A pod annotation that changes whenever the secret settings do, so that the pods roll: the Secret
keeps its name (CI's deployer may patch it, never create one), and a pod reads it only at start."""


def check(field: str, value: Any, settings: Mapping[str, str]) -> None:
    """Secret settings: environment variable names as for settings, none of them a setting's too
    (two sources for one variable: which wins would depend on envFrom's order)."""
    if not isinstance(value, Mapping):
        raise v.InvalidArgument(field, redaction.Redacted(len(str(value))), "must map variable names to secret values")
    size = 0
    for key, item in value.items():
        name = f"{field}[{key!r}]"
        if not isinstance(key, str):
            raise v.InvalidArgument(name, redaction.Sanitized(repr(key)), "names must be strings")
        container_inputs.environment_variable_name(name, key)
        if key in settings:
            raise v.InvalidArgument(
                name, redaction.Sanitized(key), "is a setting too: give each variable one source, settings or secrets"
            )
        if isinstance(item, str):
            if "\0" in item:
                raise v.InvalidArgument(name, redaction.Redacted(len(item)), "must not contain a NUL byte")
            size += len(key.encode()) + len(item.encode())
        elif not isinstance(item, pulumi.Output):
            raise v.InvalidArgument(name, redaction.Redacted(len(str(item))), "must be a string (or an Output of one)")
    if size > container_inputs.CONFIGMAP_MAX_BYTES:
        raise v.InvalidArgument(
            field, redaction.Sanitized(f"{size} bytes"), "must fit in a Secret: at most 1 MiB in all"
        )


def register(
    name: str,
    app: str,
    secrets: Mapping[str, pulumi.Input[str]],
    metadata: Mapping[str, object],
    child: pulumi.ResourceOptions,
) -> tuple[k8s.core.v1.Secret, pulumi.Output[str]]:
    """The Secret of the secret settings, and the version annotation's value: an HMAC-SHA256 of its
    data under a random key kept (secret) in the state. A plain hash would let anyone who may read
    Deployments test guesses of a short password; the HMAC tells them only that something changed."""
    values = {key: pulumi.Output.secret(value) for key, value in secrets.items()}
    secret = k8s.core.v1.Secret(
        f"{name}-secrets",
        metadata={**metadata, "name": names.app_secrets(app)},
        type="Opaque",
        string_data=values,
        opts=child,
    )
    key = random.RandomPassword(f"{name}-secrets-version-key", length=32, special=False, opts=child)
    keys = sorted(values)
    digest = pulumi.Output.all(key.result, *(values[k] for k in keys)).apply(
        lambda parts: hmac.new(
            parts[0].encode(), json.dumps(dict(zip(keys, parts[1:], strict=True)), sort_keys=True).encode(), "sha256"
        ).hexdigest()
    )
    return secret, pulumi.Output.unsecret(digest)
