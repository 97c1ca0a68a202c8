"""``load_settings()``: a stack's config, read and checked, bound to frozen, validated Args before
any resource exists. Every refusal is a :class:`~.config.ConfigError`.

The keys live in the running project's namespace (``pulumi config set replicas 3`` in a project
named ``ledger-infra`` writes ``ledger-infra:replicas``), or in the one the program names
(``load_settings(namespace=...)``). One of our keys in another project's namespace is refused,
not ignored: it was meant for this program.

Which key binds to which Args field is the key table's (:data:`~.config_keys.KEYS`); the keys
that need reading of their own are :data:`READERS`.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pulumi

from . import endpoints, gitlab_rules, redaction
from . import validation as v
from .app_spec import AppSpec
from .cluster_access import kube_context
from .config import (
    check_namespace,
    error,
    is_secret,
    key_is_secret,
    namespace,
    reading,
    secret_value,
    stack_keys,
    value,
)
from .config_binder import UNSET, build, get, members, object_value, one_of_replicas_or_autoscaling
from .config_checks import reject_plain_secrets, reject_undecodable, reject_unknown, reject_wrong_namespace
from .config_keys import BY_NAME, IMAGE_PULL_SECRET, KEYS, MAPPING_KEYS, OBJECT_KEYS, Key
from .continuous_deployment import ContinuousDeploymentArgs
from .deployer import ClusterArgs
from .gitlab_project import GitLabProjectArgs
from .process import ProcessSpec, check_process_name
from .pulumi_backend import PulumiBackendArgs
from .registry_access import ImagePullSpec, check_password, gitlab_registry_for
from .review_app import ReviewAppArgs
from .review_config import reject_non_review_keys


@dataclass(frozen=True)
class Settings:
    """A stack's settings: an environment's (``deployment``) or a review stack's (``review``)."""

    deployment: ContinuousDeploymentArgs | None
    """Everything an environment's stack declares; None for a review stack."""
    gitlab_url: str
    """The GitLab instance, e.g. ``https://gitlab.com``."""
    review: ReviewAppArgs | None = None
    """A review stack's app (its config has ``mergeRequestIid``); None for an environment's stack."""

    @property
    def cluster_name(self) -> str:
        """The Kubernetes provider's ``cluster_identifier``."""
        if self.review is not None:
            return self.review.cluster_name
        assert self.deployment is not None
        return self.deployment.cluster.name

    @property
    def kube_context(self) -> str | None:
        """The Kubernetes provider's ``context``: the agent's in agent mode, else none."""
        args = self.review if self.review is not None else self.deployment
        assert args is not None
        return kube_context(args.cluster_access, args.agent)

    @property
    def gitlab_api_url(self) -> str:
        return f"{self.gitlab_url.rstrip('/')}/api/v4/"


def load_settings(namespace: str | None = None) -> Settings:
    """Read and validate the stack's config. Raises :class:`~.config.ConfigError`; registers nothing.

    The keys are read from ``namespace``, by default the running project's (``pulumi.get_project()``,
    the ``name`` in Pulumi.yaml): where ``pulumi config set KEY`` writes them. One of our keys in a
    namespace this program does not read (another project's, or the project's when the program
    names another) is refused, naming the key and where to set it.
    """
    project = pulumi.get_project()
    namespace = check_namespace(project if namespace is None else namespace)
    with reading(namespace):
        keys = stack_keys()
        reject_wrong_namespace(
            keys, namespace, project, value=lambda full: value(*full.split(":", 1)), secret=is_secret
        )
        raw = _read_raw(keys, namespace)
        reject_undecodable(raw)
        reject_unknown(raw)
        reject_plain_secrets(raw)
        if "mergeRequestIid" in raw:
            reject_non_review_keys(raw)
            return Settings(deployment=None, review=_bind(raw, REVIEW), gitlab_url=_gitlab_url(raw))
        return Settings(deployment=_bind(raw, DEPLOYMENT), gitlab_url=_gitlab_url(raw))


def _read_raw(keys: set[str], reading: str) -> dict[str, Any]:
    """Every ``<reading>:*`` value the stack holds, by short key, objects parsed."""
    raw: dict[str, Any] = {}
    for full_key in sorted(keys):
        space, _, key = full_key.partition(":")
        if space != reading:
            continue
        given = value(space, key)
        if key in OBJECT_KEYS or key in MAPPING_KEYS:
            given = _parse_object(key, given)
        raw[key] = given
    return raw


def _parse_object(key: str, given: Any) -> Any:
    if isinstance(given, str):
        with contextlib.suppress(json.JSONDecodeError):
            given = json.loads(given)
    if not isinstance(given, dict):
        raise error((key,), given, "must be an object (a YAML mapping under the key in the stack file)")
    return given


# --- binding -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    """The Args a kind of stack binds: ``args``, whose fields ``groups`` are Args themselves."""

    args: type
    groups: Mapping[str, type]
    order: tuple[str, ...]
    """The groups in the order their keys are read ("" is ``args``' own fields): it decides which of
    two bad values is named first. The groups are built as soon as read; ``args`` last."""
    review: bool


DEPLOYMENT = _Target(
    ContinuousDeploymentArgs,
    {"spec": AppSpec, "project": GitLabProjectArgs, "cluster": ClusterArgs, "backend": PulumiBackendArgs},
    ("spec", "project", "cluster", "backend", ""),
    review=False,
)
REVIEW = _Target(ReviewAppArgs, {"spec": AppSpec}, ("", "spec"), review=True)


def _bind(raw: Mapping[str, Any], target: _Target) -> Any:
    """``target.args`` from ``raw``: each key of the table, read, to the field its row binds."""
    sources: dict[str, dict[str, tuple[str, Any]]] = {group: {} for group in target.order}
    for group in target.order:
        for key in KEYS:
            path = key.review_binds if target.review else key.binds
            if path is None or path.rpartition(".")[0] != group:
                continue
            sources[group][path.rpartition(".")[2]] = (key.name, _read(raw, key, target.review))
        if group:
            # Errors about the group's fields name the keys alone (``rollout.maxSurge``).
            sources[""][group] = ("", build(target.groups[group], sources[group]))
    return build(target.args, sources[""])


def _read(raw: Mapping[str, Any], key: Key, review: bool) -> Any:
    """The value ``key`` binds, or UNSET."""
    if key.name in READERS:
        return READERS[key.name](raw, review)
    if key.kind == "object":
        return object_value(raw, key.name, key.args, key.defaults)  # type: ignore[arg-type]
    if key.kind == "secret":
        return _secret(raw, key)
    return get(raw, key.name, key.empty_is_unset)


def _secret(raw: Mapping[str, Any], key: Key) -> pulumi.Output[str] | Any:
    """A secret from ``pulumi config set --secret`` or from its environment variable; never plain config."""
    given = raw.get(key.name)
    if given is not None and not key_is_secret(key.name):
        raise error(
            (key.name,),
            redaction.Redacted(len(str(given))),
            "must be set with `pulumi config set --secret`, never as plain config",
        )
    text = given if given is not None else os.environ.get(key.env)  # type: ignore[arg-type]
    if text is None:
        return UNSET
    try:
        gitlab_rules.maskable(key.name, text)
    except v.InvalidArgument as refused:
        raise error((key.name,), refused.values[0], refused.expected) from None
    return secret_value(namespace(), key.name) if given is not None else pulumi.Output.secret(text)


def _autoscaling(raw: Mapping[str, Any], review: bool) -> Any:
    """web's autoscaler: refused beside ``replicas``, which it would make meaningless."""
    key = BY_NAME["autoscaling"]
    autoscaling = object_value(raw, key.name, key.args)  # type: ignore[arg-type]
    if autoscaling is not UNSET and "replicas" in raw:
        raise one_of_replicas_or_autoscaling("replicas", "autoscaling", raw["replicas"])
    return autoscaling


def _processes(raw: Mapping[str, Any], review: bool) -> dict[str, ProcessSpec] | Any:
    """The app's processes beside web, by name, or UNSET."""
    if "processes" not in raw:
        return UNSET
    processes = {}
    for name, given in raw["processes"].items():
        path = f"processes[{name!r}]"
        try:
            check_process_name(path, name)
        except v.InvalidArgument as refused:
            raise error((path,), redaction.Sanitized(str(name)), refused.expected) from None
        processes[name] = members(path, given, ProcessSpec)
    return processes


def _secret_settings(raw: Mapping[str, Any], review: bool) -> dict[str, pulumi.Output[str]] | Any:
    """The app's secret settings (``pulumi config set --secret --path secrets.<NAME>``), each an
    ``Output.secret``; never plain config. Their names are checked with the Workload's; their
    values are never shown."""
    if "secrets" not in raw:
        return UNSET
    if not key_is_secret("secrets"):
        raise error(
            ("secrets",),
            redaction.Redacted(len(json.dumps(raw["secrets"]))),
            "must be set with `pulumi config set --secret --path secrets.<NAME> <value>`, never as plain config: "
            "the whole key is then encrypted in the stack file",
        )
    for name, given in raw["secrets"].items():
        if not isinstance(given, str):
            raise error((f"secrets[{name!r}]",), redaction.Redacted(len(json.dumps(given))), "must be a string")
    return {name: pulumi.Output.secret(given) for name, given in raw["secrets"].items()}


def _image_pull(raw: Mapping[str, Any], review: bool) -> ImagePullSpec | Any:
    """How the image is pulled without a GitLab deploy token (``imagePull``), or UNSET. Its
    password (secret config only: ``config_checks.check_image_pull_secrecy``) is an ``Output.secret``
    from the moment it is read, and never shown. A review stack takes no credentials."""
    if "imagePull" not in raw:
        return UNSET
    given = dict(raw["imagePull"])
    if review:
        for member in ("username", IMAGE_PULL_SECRET, "shareWithReviewApps"):
            if member in given:
                raise error(
                    (f"imagePull.{member}",),
                    given[member],
                    "is not used by a review stack: the base stack made the review namespace's pull Secret; derive "
                    "the review config from the base stack with `python -m gitlab_k8s_cd.pipeline.review config`",
                )
    if IMAGE_PULL_SECRET in given:
        try:
            check_password(IMAGE_PULL_SECRET, given[IMAGE_PULL_SECRET])
        except v.InvalidArgument as refused:
            raise error((f"imagePull.{IMAGE_PULL_SECRET}",), refused.values[0], refused.expected) from None
        given[IMAGE_PULL_SECRET] = pulumi.Output.secret(given[IMAGE_PULL_SECRET])
    return members("imagePull", given, ImagePullSpec)


def _gitlab_registry(raw: Mapping[str, Any], review: bool) -> Any:
    """GitLab's container registry: as given, else GitLab.com's for https://gitlab.com, else none
    (a self-managed instance's must be given: registry_access.gitlab_registry_for)."""
    if "gitlabRegistry" in raw:
        return raw["gitlabRegistry"]
    known = gitlab_registry_for(_gitlab_url(raw))
    return UNSET if known is None else known


READERS: Mapping[str, Callable[[Mapping[str, Any], bool], Any]] = {
    "autoscaling": _autoscaling,
    "processes": _processes,
    "secrets": _secret_settings,
    "imagePull": _image_pull,
    "gitlabRegistry": _gitlab_registry,
}
"""The keys read by a function of their own, given the raw config and whether it is a review stack's."""


def _gitlab_url(raw: Mapping[str, Any]) -> str:
    """The instance's base URL: the provider appends ``api/v4/`` to it."""
    url = raw.get("gitlabUrl", "https://gitlab.com")
    try:
        endpoints.absolute_url("gitlabUrl", url, base_only=True)
        if urlsplit(url).path.rstrip("/").endswith("/api/v4"):
            raise v.InvalidArgument("gitlabUrl", url, "must be the instance's URL, without /api/v4 (it is appended)")
    except v.InvalidArgument as refused:
        raise error(("gitlabUrl",), refused.values[0], refused.expected) from None
    return url
