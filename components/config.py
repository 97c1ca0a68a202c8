"""The only reader of stack configuration and of the environment.

``load_settings()`` turns the stack's config into frozen, validated Args before any resource
exists. Every refusal is a :class:`ConfigError` that names the config key, the value given
and what is expected, e.g.::

    ledger-infra:rollout.maxSurge and ledger-infra:rollout.maxUnavailable: cannot both be 0,
    or the rollout could never start (got 0 and 0)

The keys live in the running project's namespace (``pulumi config set replicas 3`` in a project
named ``ledger-infra`` writes ``ledger-infra:replicas``), or in the one the program names
(``load_settings(namespace=...)``). One of our keys in another project's namespace is refused,
not ignored: it was meant for this program.

Top-level values arrive from the Pulumi CLI as strings (``replicas: 2`` is ``"2"``); objects
arrive as JSON, with typed members. Both are accepted wherever an integer or a boolean is due.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import difflib
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pulumi
from pulumi.runtime import config as runtime_config

from . import endpoints, gitlab_rules, redaction, secret_detection
from . import validation as v
from .app_spec import AppSpec
from .canary import CanarySpec
from .continuous_deployment import ContinuousDeploymentArgs
from .deployer import ClusterArgs
from .drift_check import DriftCheckSpec
from .gitlab_environment import EnvironmentProtectionArgs
from .gitlab_project import GitLabProjectArgs, RegistryCleanupArgs
from .ingress import IngressSpec
from .migration import MigrationSpec
from .namespace import LimitRangeArgs
from .pod_specs import ProbeArgs, ResourcesArgs, RolloutArgs
from .process import AutoscalingArgs, ExecProbeArgs, ProcessSpec, check_process_name
from .pulumi_backend import PulumiBackendArgs
from .registry_access import ImagePullSpec, check_password, gitlab_registry_for
from .review_app import ReviewAppArgs
from .review_apps import ReviewAppsSpec

NAMESPACE = "gitlab-k8s-cd"
"""This repository's own project name, so its example stack's keys are ``gitlab-k8s-cd:*``. A
program reads its own project's namespace (:func:`load_settings`); nothing assumes this one, but
our keys found in it in another project are refused (:func:`_reject_wrong_namespace`)."""
PROVIDER_NAMESPACES = frozenset(
    {"kubernetes", "gitlab", "random", "pulumi", "aws", "azure", "azure-native", "gcp", "vault", "tls", "command"}
)
"""The providers' (and the engine's) namespaces: the ones the program uses and the common ones a
stack may hold beside them. Never ours, however close to the project's name: ``kubernetes:namespace``
and ``vault:namespace`` are the providers', never a misplaced ``namespace``."""
CLOSE_RATIO = 0.8
"""How alike (difflib's ratio) a namespace and the one read, or the project's name, are for the
first to be a misspelling of the second: one or two characters off in a name of ten or more
(``ledger-infr`` for ``ledger-infra`` is 0.96, ``ledger-intra`` 0.92), one off in a name of six
(``ledgr`` for ``ledger``, 0.91); sibling projects stay below it (``ledger-ui`` and ``ledger-infra``
0.76, ``payments-infra`` 0.54)."""

T = TypeVar("T")


class ConfigError(ValueError):
    """A stack config value that was refused. ``keys`` are the full config keys at fault."""

    def __init__(self, keys: tuple[str, ...], message: str) -> None:
        self.keys = keys
        super().__init__(message)


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
    def gitlab_api_url(self) -> str:
        return f"{self.gitlab_url.rstrip('/')}/api/v4/"


# Each object-valued key and the Args it becomes; members are the Args' fields in camelCase.
OBJECT_KEYS: dict[str, type] = {
    "rollout": RolloutArgs,
    "readinessProbe": ProbeArgs,
    "livenessProbe": ProbeArgs,
    "startupProbe": ProbeArgs,
    "resources": ResourcesArgs,
    "registryCleanup": RegistryCleanupArgs,
    "protection": EnvironmentProtectionArgs,
    "limitRange": LimitRangeArgs,
    "driftCheck": DriftCheckSpec,
    "reviewApps": ReviewAppsSpec,
    "autoscaling": AutoscalingArgs,
    "ingress": IngressSpec,
    "migration": MigrationSpec,
    "canary": CanarySpec,
    # Built by _image_pull: its password is a secret.
    "imagePull": ImagePullSpec,
}
# Members that are objects themselves, by the Args they belong to.
NESTED_ARGS: dict[type, dict[str, type]] = {
    ProcessSpec: {
        "resources": ResourcesArgs,
        "rollout": RolloutArgs,
        "liveness_probe": ExecProbeArgs,
        "readiness_probe": ExecProbeArgs,
        "autoscaling": AutoscalingArgs,
    },
    MigrationSpec: {"resources": ResourcesArgs},
}
# Members an object key starts from, so that setting one member keeps the others' defaults.
# Members that were taken once and are refused now, with why and what to do instead.
REMOVED_MEMBERS = {
    "reviewApps.tlsSecret": "is no longer taken: a TLS Secret in the review namespace can be mounted, and printed, by "
    "the pod of any branch's review app (RBAC cannot stop it). Give the ingress controller a default certificate "
    "for *.<domain> in its own namespace (ingress-nginx: --default-ssl-certificate): review Ingresses use it",
}
OBJECT_DEFAULTS: dict[str, dict[str, Any]] = {
    "readinessProbe": {"path": "/readyz"},
    "livenessProbe": {"path": "/healthz"},
}
MAPPING_KEYS = ("settings", "quota", "processes", "secrets")
SECRET_KEYS = {
    # config key: the environment variable it may come from instead
    "pulumiConfigPassphrase": "PULUMI_CONFIG_PASSPHRASE",
    "pulumiAccessToken": "PULUMI_ACCESS_TOKEN",
}
SCALAR_KEYS = (
    "app",
    "environment",
    "environmentUrl",
    "environmentTier",
    "namespace",
    "image",
    "replicas",
    "containerPort",
    "servicePort",
    "runAsUser",
    "gitlabUrl",
    "gitlabRegistry",
    "gitlabProject",
    "manageProject",
    "projectDescription",
    "projectVisibility",
    "clusterName",
    "clusterServer",
    "clusterCaData",
    "pulumiBackendUrl",
    "deployTokenExpiresAt",
    "hiddenVariables",
    "commitSha",
    "pipelineUrl",
    "jobUrl",
    "mergeRequestIid",
    # Set by CI's deploy-canary run only (pipeline/deploy.py --canary-image), never in the stack file.
    "canaryImage",
    "canaryCommitSha",
    "canaryPipelineUrl",
    "canaryJobUrl",
)
KNOWN_KEYS = frozenset(SCALAR_KEYS) | frozenset(OBJECT_KEYS) | frozenset(MAPPING_KEYS) | frozenset(SECRET_KEYS)

# A review stack (one with mergeRequestIid) reads only these. derive_review_config copies the
# first group from the base stack and sets the second; CI passes the third with each deploy.
REVIEW_COPIED_KEYS = (
    "app",
    "image",
    "containerPort",
    "servicePort",
    "runAsUser",
    "settings",
    "rollout",
    "readinessProbe",
    "livenessProbe",
    "startupProbe",
    "resources",
    "gitlabUrl",
    "gitlabRegistry",
    "gitlabProject",
    "clusterName",
    "reviewApps",
    "processes",
)
REVIEW_SET_KEYS = ("mergeRequestIid", "environment", "environmentUrl", "namespace", "replicas")
REVIEW_CI_KEYS = ("commitSha", "pipelineUrl", "jobUrl")
REVIEW_FILTERED_KEYS = {"imagePull": ("public", "secretName")}
"""Keys copied with only these members: never a credential (a review stack holds none)."""
REVIEW_KEYS = frozenset(REVIEW_COPIED_KEYS + REVIEW_SET_KEYS + REVIEW_CI_KEYS + tuple(REVIEW_FILTERED_KEYS))
# Keys a review stack refuses for a reason of their own (derive_review_config never copies them).
REVIEW_REFUSED = {
    "migration": "review apps never run the migration: a branch's migration would change the database the base "
    "environment's settings name, before anyone reviewed it",
    **dict.fromkeys(
        ("canary", "canaryImage", "canaryCommitSha", "canaryPipelineUrl", "canaryJobUrl"),
        "review apps have no canary track: a review app runs its branch's image alone",
    ),
}


# Where a key's value ends up, for the refusal of a secret sent there. Default: PLAIN.
PLAIN = "the plan, the stack's state and the resources it configures"
DESTINATIONS = {
    "settings": "a ConfigMap the app reads",
    "processes": "the Deployments' pod specs",
    "migration": "the migration Job's pod spec",
    "pulumiBackendUrl": "the CI variable PULUMI_BACKEND_URL, which is not masked",
    "app": "object names and labels",
    "namespace": "object names, labels and the CI variable KUBE_NAMESPACE, which is not masked",
    "environmentUrl": "the GitLab environment and a stack output",
    "image": "the Deployment and a stack output",
    "canaryImage": "the canary Deployment and a stack output",
    "projectDescription": "the GitLab project's settings",
    "imagePull": "the stack file, where only imagePull.password is encrypted",
}
POINTERS = {
    "settings": "set the app's secrets with `pulumi config set --secret --path secrets.<NAME> <value>`: they go "
    "to a Kubernetes Secret",
    "pulumiBackendUrl": "keep credentials out of the URL; give the backend's credentials to the runner as masked "
    "CI variables (e.g. AWS_ACCESS_KEY_ID)",
    "imagePull": "a registry password or token is imagePull.password, set with `pulumi config set --secret --path "
    "imagePull.password <value>`",
}
IMAGE_PULL_SECRET = "password"
"""The one member of ``imagePull`` that is a secret."""


def default_pointer() -> str:
    """What a value set with --secret that is not a secret should do instead."""
    return "it is not a secret: set it without --secret; the secrets this stack takes are " + " and ".join(
        f"{_namespace()}:{key}" for key in SECRET_KEYS
    )


def load_settings(namespace: str | None = None) -> Settings:
    """Read and validate the stack's config. Raises :class:`ConfigError`; registers nothing.

    The keys are read from ``namespace``, by default the running project's (``pulumi.get_project()``,
    the ``name`` in Pulumi.yaml): where ``pulumi config set KEY`` writes them. One of our keys in a
    namespace this program does not read (another project's, or the project's when the program
    names another) is refused, naming the key and where to set it.
    """
    project = pulumi.get_project()
    namespace = _check_namespace(project if namespace is None else namespace)
    with _reading(namespace):
        keys = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
        _reject_wrong_namespace(
            keys, namespace, project, value=runtime_config.get_config, secret=runtime_config.is_config_secret
        )
        raw = _read_raw(keys, namespace)
        _reject_undecodable(raw)
        _reject_unknown(raw)
        _reject_plain_secrets(raw)
        if "mergeRequestIid" in raw:
            return Settings(deployment=None, review=_review(raw), gitlab_url=_gitlab_url(raw))
        return Settings(deployment=_deployment(raw), gitlab_url=_gitlab_url(raw))


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
    namespace = _check_namespace(namespace)
    project = namespace if project is None else project
    full = {key if ":" in str(key) else f"{project}:{key}": value for key, value in base.items()}
    with _reading(namespace):
        _reject_wrong_namespace(
            full, namespace, project, value=full.__getitem__, secret=lambda key: _encrypted(full[key])
        )
        ours = {key.partition(":")[2]: value for key, value in full.items() if key.partition(":")[0] == namespace}
        return _derive_review_config(ours, merge_request_iid, environment)


def _derive_review_config(ours: Mapping[str, Any], merge_request_iid: int, environment: str) -> dict[str, Any]:
    review_apps = _object(ours, "reviewApps", ReviewAppsSpec)
    if review_apps is _UNSET or not review_apps.enabled:
        enabled = ours.get("reviewApps", {}).get("enabled") if isinstance(ours.get("reviewApps"), dict) else None
        raise _error(
            ("reviewApps.enabled",), enabled, "must be true in the base stack for merge requests to get review apps"
        )
    if "app" not in ours:
        raise _error(("app",), None, "is required")
    try:
        v.integer("mergeRequestIid", merge_request_iid, minimum=1)
        gitlab_rules.environment_name("environment", environment)
    except v.InvalidArgument as error:
        raise _error(error.fields, error.values[0], error.expected) from None
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
    return {f"{_namespace()}:{key}": value for key, value in derived.items()}


def _review_process(members: Mapping[str, Any]) -> dict[str, Any]:
    own = {member: value for member, value in members.items() if member not in ("replicas", "autoscaling")}
    if isinstance(members.get("rollout"), dict):
        own["rollout"] = {**members["rollout"], "maxSurge": 1, "maxUnavailable": 0}
    return {**own, "replicas": 1}


# --- reading ---------------------------------------------------------------------------------

_UNSET: Any = object()

# The namespace being read, for the messages and secret checks of the one load_settings or
# derive_review_config call under way. No default: nothing reads keys without having been told where.
_READING: contextvars.ContextVar[str] = contextvars.ContextVar("gitlab_k8s_cd_config_namespace")


@contextlib.contextmanager
def _reading(namespace: str) -> Iterator[None]:
    token = _READING.set(namespace)
    try:
        yield
    finally:
        _READING.reset(token)


def _namespace() -> str:
    return _READING.get()


def _check_namespace(namespace: Any) -> str:
    """A config namespace as config.ParseKey takes one: text without ``:``."""
    if not isinstance(namespace, str) or not namespace or ":" in namespace:
        raise ValueError(f"namespace: must be a Pulumi config namespace, non-empty and without ':' (got {namespace!r})")
    return namespace


def _encrypted(value: Any) -> bool:
    """Whether a stack file's value holds a ``secure:`` ciphertext (the whole key is then secret)."""
    if isinstance(value, Mapping):
        return (len(value) == 1 and isinstance(value.get("secure"), str)) or any(_encrypted(v) for v in value.values())
    return isinstance(value, list) and any(_encrypted(item) for item in value)


def _reject_wrong_namespace(
    keys: Iterable[str],
    namespace: str,
    project: str,
    *,
    value: Callable[[str], Any],
    secret: Callable[[str], bool],
) -> None:
    """Refuse one of our keys where this program does not read it: in the library's own project's
    namespace (a stack file copied from this repository), in the project's when the program reads
    another, in a namespace close to the one read or to the project's name (a misspelling, or the
    name without or with a suffix: :func:`_close`), or in any other namespace, not a provider's,
    that holds two or more of our keys (a project renamed after its config was set). Other
    namespaces, the providers' among them (``kubernetes:namespace``), are left alone. A secret's
    value is never shown."""
    held: dict[str, list[str]] = {}
    for full in sorted(keys):
        other, _, key = full.partition(":")
        if other != namespace and other not in PROVIDER_NAMESPACES and key in KNOWN_KEYS:
            held.setdefault(other, []).append(key)
    for other, ours in held.items():
        near = None if other in (NAMESPACE, project) else _close(other, (namespace, project))
        if other not in (NAMESPACE, project) and near is None and len(ours) < 2:
            continue
        key = ours[0]
        full = f"{other}:{key}"
        given = value(full)
        if secret(full) or key in SECRET_KEYS or key == "secrets":
            given = redaction.Redacted(len(given if isinstance(given, str) else json.dumps(given, default=str)))
        given = redaction.shown(key, given)
        set_as = key if namespace == project else f"{namespace}:{key}"
        if key == "secrets":
            command = f"pulumi config set --secret --path {set_as}.<NAME> …"
        elif key in SECRET_KEYS:
            command = f"pulumi config set --secret {set_as} …"
        elif key in OBJECT_KEYS or key in MAPPING_KEYS:
            command = f"pulumi config set --path {set_as}.<member> …"
        else:
            command = f"pulumi config set {set_as} …"
        why = (
            f"is in the {other} namespace, which this program does not read"
            + (f" (the project's, {project}: the program names its own)" if other == project else "")
            + (f" (close to {near}: a misspelling?)" if near is not None else "")
            + f"; this program reads the {namespace} namespace: set it with `{command}`, which writes "
            f"{namespace}:{key}"
            + (f"; {len(ours) - 1} more of this program's keys are in {other} too" if len(ours) > 1 else "")
        )
        raise ConfigError((full,), f"{full}: {why} (got {given!r})")


def _close(other: str, names: Iterable[str]) -> str | None:
    """The name of ``names`` that ``other`` looks meant for, if any: a misspelling of it (difflib's
    ratio, :data:`CLOSE_RATIO`, case ignored), or it with a suffix cut or added at a separator
    (``ledger`` and ``ledger-infra``), which a ratio misses (0.67) yet is how a program's namespace
    and its project's name usually differ. A ratio alone would take ``ledger`` for ``ledger-infra``
    only if lowered to where unrelated names pass too; an edit distance alone likewise."""
    lowered = other.lower()
    for name in dict.fromkeys(names):
        near = name.lower()
        if lowered == near or difflib.SequenceMatcher(None, lowered, near).ratio() >= CLOSE_RATIO:
            return name
        short, long = sorted((lowered, near), key=len)
        if long.startswith(short) and long[len(short)] in "-_.":
            return name
    return None


def _read_raw(keys: Iterable[str], reading: str) -> dict[str, Any]:
    """Every ``<reading>:*`` value the runtime holds, by short key, objects parsed."""
    raw: dict[str, Any] = {}
    for full_key in sorted(keys):
        namespace, _, key = full_key.partition(":")
        if namespace != reading:
            continue
        value = runtime_config.get_config(full_key)
        if key in OBJECT_KEYS or key in MAPPING_KEYS:
            value = _parse_object(key, value)
        raw[key] = value
    return raw


def _parse_object(key: str, value: Any) -> Any:
    if isinstance(value, str):
        with contextlib.suppress(json.JSONDecodeError):
            value = json.loads(value)
    if not isinstance(value, dict):
        raise _error((key,), value, "must be an object (a YAML mapping under the key in the stack file)")
    return value


def _reject_unknown(raw: Mapping[str, Any]) -> None:
    for key in raw:
        if key not in KNOWN_KEYS:
            close = difflib.get_close_matches(key, sorted(KNOWN_KEYS), n=1)
            hint = f"did you mean {_namespace()}:{close[0]}?" if close else "see the README for every key"
            raise _error((key,), raw[key], f"is not a known key; {hint}")


def _reject_plain_secrets(raw: Mapping[str, Any]) -> None:
    """A value set with ``pulumi config set --secret`` (a whole key, or a member with ``--path``,
    which makes the whole key secret) may only go where it stays secret; so may anything that
    looks like a credential, set as secret or not."""
    for key, value in raw.items():
        if key in SECRET_KEYS or key == "secrets":
            continue
        destination = DESTINATIONS.get(key, PLAIN)
        pointer = POINTERS.get(key) or default_pointer()
        if key == "imagePull":
            _check_image_pull_secrecy(value)
            value = {member: item for member, item in value.items() if member != IMAGE_PULL_SECRET}
        elif _is_secret(key):
            raise _error(
                (key,),
                value,
                f"is set as a secret (pulumi config set --secret), but it goes to {destination}, in plain text: "
                f"{pointer}",
            )
        for path, leaf in _leaves(key, value, named=key in MAPPING_KEYS):
            kind = secret_detection.looks_like_credential(leaf)
            if kind and key != "settings":  # settings say more about their own (container_inputs.environment_settings)
                raise _error(
                    (path,),
                    redaction.Redacted(len(leaf)),
                    f"looks like {kind}, and would go to {destination}, in "
                    f"plain text: {POINTERS.get(key, 'never put credentials in stack config')}",
                )


def _check_image_pull_secrecy(members: Mapping[str, Any]) -> None:
    """``imagePull.password`` only as a secret (``--secret --path`` marks the whole key secret: the
    other members stay plain in the stack file); the key secret only for it."""
    if IMAGE_PULL_SECRET in members and not _is_secret("imagePull"):
        raise _error(
            (f"imagePull.{IMAGE_PULL_SECRET}",),
            redaction.Redacted(len(json.dumps(members[IMAGE_PULL_SECRET]))),
            "must be set with `pulumi config set --secret --path imagePull.password <value>`, never as plain config: "
            "only then is it encrypted in the stack file",
        )
    if IMAGE_PULL_SECRET not in members and _is_secret("imagePull"):
        raise _error(
            ("imagePull",),
            members,
            f"is set as a secret (pulumi config set --secret), but only imagePull.password is one: the rest goes to "
            f"{PLAIN}, in plain text; set the other members without --secret",
        )


def _reject_undecodable(raw: Mapping[str, Any]) -> None:
    """Text that is not valid Unicode (a lone surrogate from JSON's "\\ud800", or a byte the CLI could
    not decode) cannot be sent to Kubernetes or GitLab, nor encoded at all."""
    for key, value in raw.items():
        for path, text in [(key, key), *_leaves(key, value), *_names(key, value)]:
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                shown, where = (t.encode("utf-8", "backslashreplace").decode() for t in (text, path))
                raise _error((where,), redaction.Sanitized(shown), "must be valid Unicode text (UTF-8)") from None


def _names(key: str, value: Any) -> list[tuple[str, str]]:
    """The member names under ``value`` (a setting's name, say), with their key paths."""
    if not isinstance(value, Mapping):
        return []
    found = [(f"{key}[{name!r}]", name) for name in value if isinstance(name, str)]
    return found + [leaf for member, item in value.items() for leaf in _names(f"{key}.{member}", item)]


def _leaves(key: str, value: Any, named: bool = False) -> list[tuple[str, str]]:
    """Every string under ``value``, with its config key path (``reviewApps.backendUrl``; with
    ``named``, the members are the user's names: ``processes['worker'].args[1]``)."""
    if isinstance(value, Mapping):
        return [
            leaf
            for member, item in value.items()
            for leaf in _leaves(f"{key}[{member!r}]" if named else f"{key}.{member}", item)
        ]
    if isinstance(value, list):
        return [leaf for index, item in enumerate(value) for leaf in _leaves(f"{key}[{index}]", item)]
    return [(key, value)] if isinstance(value, str) else []


def _is_secret(key: str) -> bool:
    return runtime_config.is_config_secret(f"{_namespace()}:{key.split('.')[0].split('[')[0]}")


def _error(keys: tuple[str, ...], value: Any, expected: str) -> ConfigError:
    full = tuple(f"{_namespace()}:{k}" for k in keys)
    values = value if len(keys) > 1 else (value,)
    if any(_is_secret(k) for k in keys):
        # Whatever the key, a value set with --secret is never printed; but for a name the key
        # path already shows (``secrets['1DB']``: the name was refused, not its value).
        values = tuple(
            item
            if isinstance(item, redaction.Redacted) or _names_itself(keys, item)
            else redaction.Redacted(len(str(item)))
            for item in values
        )
    # Nor a value that looks like a credential, or given for a key named like a secret (typos too).
    names = keys if len(keys) == len(values) else keys[:1] * len(values)
    values = tuple(redaction.shown(name, item) for name, item in zip(names, values, strict=True))
    got = " and ".join(repr(item) for item in values)
    return ConfigError(full, f"{' and '.join(full)}: {expected} (got {got})")


def _names_itself(keys: tuple[str, ...], item: Any) -> bool:
    return isinstance(item, redaction.Sanitized) and any(k.endswith(f"[{item.text!r}]") for k in keys)


def _secret(raw: Mapping[str, Any], key: str) -> pulumi.Output[str] | None:
    """A secret from ``pulumi config set --secret`` or from its environment variable; never plain config."""
    full = f"{_namespace()}:{key}"
    value = raw.get(key)
    if value is not None and not runtime_config.is_config_secret(full):
        raise _error(
            (key,),
            redaction.Redacted(len(str(value))),
            "must be set with `pulumi config set --secret`, never as plain config",
        )
    if value is None:
        value = os.environ.get(SECRET_KEYS[key])
    if value is None:
        return None
    try:
        gitlab_rules.maskable(key, value)
    except v.InvalidArgument as error:
        raise _error((key,), error.values[0], error.expected) from None
    return pulumi.Output.secret(value)


# --- building Args ---------------------------------------------------------------------------


def _build(cls: type[T], sources: Mapping[str, tuple[str, Any]]) -> T:
    """``cls(**values)``, where ``sources`` maps each field to (config key, value or _UNSET).

    Unset fields keep the Args' defaults. An InvalidArgument about field ``f.sub`` is re-raised
    as a ConfigError about ``<key of f>.sub``.
    """
    hints = {f.name: str(f.type) for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    for name, (_key, value) in sources.items():
        if value is not _UNSET:
            kwargs[name] = _coerce(hints[name], value)
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        missing = field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
        if missing and field.name not in kwargs:
            raise _error((sources[field.name][0],), None, "is required")
    try:
        return cls(**kwargs)
    except v.InvalidArgument as error:
        keys = []
        for field_path in error.fields:
            head, *rest = _path_parts(field_path)
            name, bracket, item = head.partition("[")
            parts = [(sources[name][0] if name in sources else _camel(name)) + bracket + item]
            # A mapping's key ("settings['DB_PASSWORD']") is the user's, kept as given.
            parts += [_camel(part.partition("[")[0]) + "".join(part.partition("[")[1:]) for part in rest]
            keys.append(".".join(part for part in parts if part))
        raise _error(tuple(keys), error.values if len(keys) > 1 else error.values[0], error.expected) from None


def _object(raw: Mapping[str, Any], key: str, cls: type[T]) -> T | Any:
    """Build ``cls`` from the object under ``key``, or _UNSET when the key is absent."""
    if key not in raw:
        return _UNSET
    return _members(key, raw[key], cls, OBJECT_DEFAULTS.get(key, {}))


def _members(path: str, members: Any, cls: type[T], defaults: Mapping[str, Any] | None = None) -> T:
    """Build ``cls`` from the object ``members`` found at config path ``path``, and its members
    that are objects (:data:`NESTED_ARGS`) likewise."""
    if not isinstance(members, Mapping):
        raise _error((path,), members, "must be an object (a YAML mapping under the key in the stack file)")
    fields = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    sources: dict[str, tuple[str, Any]] = {name: (f"{path}.{_camel(name)}", _UNSET) for name in fields}
    for member, value in (defaults or {}).items():
        sources[_snake(member)] = (f"{path}.{member}", value)
    for member, value in members.items():
        name = _snake(member)
        if f"{path}.{member}" in REMOVED_MEMBERS:
            raise _error((f"{path}.{member}",), value, REMOVED_MEMBERS[f"{path}.{member}"])
        if name not in fields:
            allowed = sorted(_camel(f) for f in fields)
            close = difflib.get_close_matches(member, allowed, n=1)
            hint = f"did you mean {_namespace()}:{path}.{close[0]}? " if close else ""
            raise _error((f"{path}.{member}",), value, f"is not a known key; {hint}(one of {', '.join(allowed)})")
        nested = NESTED_ARGS.get(cls, {}).get(name)
        if nested is not None and value is not None:
            value = _members(f"{path}.{member}", value, nested)
        sources[name] = (f"{path}.{member}", value)
    if "replicas" in members and "autoscaling" in members and members["autoscaling"] is not None:
        raise _one_of_replicas_or_autoscaling(f"{path}.replicas", f"{path}.autoscaling", members["replicas"])
    return _build(cls, sources)


def _one_of_replicas_or_autoscaling(replicas: str, autoscaling: str, value: Any) -> ConfigError:
    return _error(
        (replicas, autoscaling),
        (value, "set"),
        "only one may be set: with an autoscaler, the replicas are its own (from minReplicas to maxReplicas)",
    )


def _processes(raw: Mapping[str, Any]) -> dict[str, ProcessSpec] | Any:
    """The app's processes beside web, by name, or _UNSET."""
    if "processes" not in raw:
        return _UNSET
    processes = {}
    for name, members in raw["processes"].items():
        path = f"processes[{name!r}]"
        try:
            check_process_name(path, name)
        except v.InvalidArgument as error:
            raise _error((path,), redaction.Sanitized(str(name)), error.expected) from None
        processes[name] = _members(path, members, ProcessSpec)
    return processes


def _secret_settings(raw: Mapping[str, Any]) -> dict[str, pulumi.Output[str]] | Any:
    """The app's secret settings (``pulumi config set --secret --path secrets.<NAME>``), each an
    ``Output.secret``; never plain config. Their names are checked with the Workload's; their
    values are never shown."""
    if "secrets" not in raw:
        return _UNSET
    if not _is_secret("secrets"):
        raise _error(
            ("secrets",),
            redaction.Redacted(len(json.dumps(raw["secrets"]))),
            "must be set with `pulumi config set --secret --path secrets.<NAME> <value>`, never as plain config: "
            "the whole key is then encrypted in the stack file",
        )
    for name, value in raw["secrets"].items():
        if not isinstance(value, str):
            raise _error((f"secrets[{name!r}]",), redaction.Redacted(len(json.dumps(value))), "must be a string")
    return {name: pulumi.Output.secret(value) for name, value in raw["secrets"].items()}


def _image_pull(raw: Mapping[str, Any], *, review: bool = False) -> ImagePullSpec | Any:
    """How the image is pulled without a GitLab deploy token (``imagePull``), or _UNSET. Its
    password (secret config only: :func:`_check_image_pull_secrecy`) is an ``Output.secret`` from
    the moment it is read, and never shown. A review stack takes no credentials."""
    if "imagePull" not in raw:
        return _UNSET
    members = dict(raw["imagePull"])
    if review:
        for member in ("username", IMAGE_PULL_SECRET, "shareWithReviewApps"):
            if member in members:
                raise _error(
                    (f"imagePull.{member}",),
                    members[member],
                    "is not used by a review stack: the base stack made the review namespace's pull Secret; derive "
                    "the review config from the base stack with `python -m gitlab_k8s_cd.pipeline.review config`",
                )
    if IMAGE_PULL_SECRET in members:
        try:
            check_password(IMAGE_PULL_SECRET, members[IMAGE_PULL_SECRET])
        except v.InvalidArgument as error:
            raise _error((f"imagePull.{IMAGE_PULL_SECRET}",), error.values[0], error.expected) from None
        members[IMAGE_PULL_SECRET] = pulumi.Output.secret(members[IMAGE_PULL_SECRET])
    return _members("imagePull", members, ImagePullSpec)


def _gitlab_registry(raw: Mapping[str, Any]) -> tuple[str, Any]:
    """GitLab's container registry: as given, else GitLab.com's for https://gitlab.com, else none
    (a self-managed instance's must be given: registry_access.gitlab_registry_for)."""
    if "gitlabRegistry" in raw:
        return _get(raw, "gitlabRegistry")
    known = gitlab_registry_for(_gitlab_url(raw))
    return "gitlabRegistry", _UNSET if known is None else known


def _coerce(annotation: str, value: Any) -> Any:
    """Strings from the CLI to the int or bool a field is declared as (``"int | str"``,
    ``"bool"``: the annotations are strings here); anything else untouched."""
    if not isinstance(value, str):
        return value
    declared = set(re.findall(r"[A-Za-z_]+", annotation))
    if "bool" in declared and value in ("true", "false"):
        return value == "true"
    if "int" in declared and re.fullmatch(r"-?[0-9]+", value):
        return int(value)
    return value


def _path_parts(field_path: str) -> list[str]:
    """``"spec.settings['a.b']"`` -> ``["spec", "settings['a.b']"]``: dots inside brackets stay."""
    return re.split(r"\.(?![^\[]*\])", field_path)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _get(raw: Mapping[str, Any], key: str, empty_is_unset: bool = False) -> tuple[str, Any]:
    """(key, value), or (key, _UNSET) when absent, or empty and ``empty_is_unset`` (a CI variable
    that a local run leaves empty, e.g. ``-c jobUrl=$CI_JOB_URL``)."""
    value = raw.get(key, _UNSET)
    return key, _UNSET if empty_is_unset and value == "" else value


def _spec(raw: Mapping[str, Any]) -> AppSpec:
    return _build(
        AppSpec,
        {
            "replicas": _get(raw, "replicas"),
            "container_port": _get(raw, "containerPort"),
            "service_port": _get(raw, "servicePort"),
            "run_as_user": _get(raw, "runAsUser"),
            "settings": _get(raw, "settings"),
            "rollout": ("rollout", _object(raw, "rollout", RolloutArgs)),
            "readiness": ("readinessProbe", _object(raw, "readinessProbe", ProbeArgs)),
            "liveness": ("livenessProbe", _object(raw, "livenessProbe", ProbeArgs)),
            "startup": ("startupProbe", _object(raw, "startupProbe", ProbeArgs)),
            "resources": ("resources", _object(raw, "resources", ResourcesArgs)),
            "autoscaling": ("autoscaling", _autoscaling(raw)),
            "processes": ("processes", _processes(raw)),
            "migration": ("migration", _object(raw, "migration", MigrationSpec)),
            "canary": ("canary", _object(raw, "canary", CanarySpec)),
        },
    )


def _autoscaling(raw: Mapping[str, Any]) -> AutoscalingArgs | Any:
    """web's autoscaler: refused beside ``replicas``, which it would make meaningless."""
    autoscaling = _object(raw, "autoscaling", AutoscalingArgs)
    if autoscaling is not _UNSET and "replicas" in raw:
        raise _one_of_replicas_or_autoscaling("replicas", "autoscaling", raw["replicas"])
    return autoscaling


def _review(raw: Mapping[str, Any]) -> ReviewAppArgs:
    for key in raw:
        if key not in REVIEW_KEYS:
            raise _error(
                (key,),
                redaction.Redacted(len(str(raw[key]))) if key in SECRET_KEYS else raw[key],
                REVIEW_REFUSED.get(
                    key,
                    "is not used by a review stack (its config has mergeRequestIid); derive the review config "
                    "from the base stack with `python -m gitlab_k8s_cd.pipeline.review config`",
                ),
            )
    return _build(
        ReviewAppArgs,
        {
            "app": _get(raw, "app"),
            "merge_request_iid": _get(raw, "mergeRequestIid"),
            "environment": _get(raw, "environment"),
            "environment_url": _get(raw, "environmentUrl"),
            "namespace": _get(raw, "namespace"),
            "image": _get(raw, "image"),
            "project_path": _get(raw, "gitlabProject"),
            "cluster_name": _get(raw, "clusterName"),
            **_trace(raw),
            "review_apps": ("reviewApps", _object(raw, "reviewApps", ReviewAppsSpec)),
            "image_pull": ("imagePull", _image_pull(raw, review=True)),
            "spec": ("", _spec(raw)),
        },
    )


def _trace(raw: Mapping[str, Any]) -> dict[str, tuple[str, Any]]:
    """The deploying commit, pipeline and job: CI passes them; a local run leaves them empty."""
    return {
        "commit_sha": _get(raw, "commitSha", empty_is_unset=True),
        "pipeline_url": _get(raw, "pipelineUrl", empty_is_unset=True),
        "job_url": _get(raw, "jobUrl", empty_is_unset=True),
    }


def _deployment(raw: Mapping[str, Any]) -> ContinuousDeploymentArgs:
    spec = _spec(raw)
    project = _build(
        GitLabProjectArgs,
        {
            "path": _get(raw, "gitlabProject"),
            "manage": _get(raw, "manageProject"),
            "description": _get(raw, "projectDescription"),
            "visibility": _get(raw, "projectVisibility"),
            "cleanup": ("registryCleanup", _object(raw, "registryCleanup", RegistryCleanupArgs)),
        },
    )
    cluster = _build(
        ClusterArgs,
        {
            "name": _get(raw, "clusterName"),
            "server": _get(raw, "clusterServer"),
            "ca_data": _get(raw, "clusterCaData"),
        },
    )
    backend = _build(
        PulumiBackendArgs,
        {
            "url": _get(raw, "pulumiBackendUrl"),
            "passphrase": ("pulumiConfigPassphrase", _secret(raw, "pulumiConfigPassphrase") or _UNSET),
            "access_token": ("pulumiAccessToken", _secret(raw, "pulumiAccessToken") or _UNSET),
        },
    )
    return _build(
        ContinuousDeploymentArgs,
        {
            "app": _get(raw, "app"),
            "environment": _get(raw, "environment"),
            "environment_url": _get(raw, "environmentUrl"),
            "environment_tier": _get(raw, "environmentTier"),
            "namespace": _get(raw, "namespace"),
            "image": _get(raw, "image"),
            # Empty is none: the deploy tool's promote, abort and rollback runs give it empty, so
            # that a value an earlier `up --config` saved in the local stack file (docs/contracts.md
            # PC-12) is not used again.
            "canary_image": _get(raw, "canaryImage", empty_is_unset=True),
            "canary_commit_sha": _get(raw, "canaryCommitSha", empty_is_unset=True),
            "canary_pipeline_url": _get(raw, "canaryPipelineUrl", empty_is_unset=True),
            "canary_job_url": _get(raw, "canaryJobUrl", empty_is_unset=True),
            "deploy_token_expires_at": _get(raw, "deployTokenExpiresAt"),
            "gitlab_registry": _gitlab_registry(raw),
            "image_pull": ("imagePull", _image_pull(raw)),
            "hidden_variables": _get(raw, "hiddenVariables"),
            **_trace(raw),
            "quota": _get(raw, "quota"),
            "limit_range": ("limitRange", _object(raw, "limitRange", LimitRangeArgs)),
            "protection": ("protection", _object(raw, "protection", EnvironmentProtectionArgs)),
            "drift_check": ("driftCheck", _object(raw, "driftCheck", DriftCheckSpec)),
            "review_apps": ("reviewApps", _object(raw, "reviewApps", ReviewAppsSpec)),
            "ingress": ("ingress", _object(raw, "ingress", IngressSpec)),
            "secrets": ("secrets", _secret_settings(raw)),
            "spec": ("", spec),
            "project": ("", project),
            "cluster": ("", cluster),
            "backend": ("", backend),
        },
    )


def _gitlab_url(raw: Mapping[str, Any]) -> str:
    """The instance's base URL: the provider appends ``api/v4/`` to it."""
    url = raw.get("gitlabUrl", "https://gitlab.com")
    try:
        endpoints.absolute_url("gitlabUrl", url, base_only=True)
        if urlsplit(url).path.rstrip("/").endswith("/api/v4"):
            raise v.InvalidArgument("gitlabUrl", url, "must be the instance's URL, without /api/v4 (it is appended)")
    except v.InvalidArgument as error:
        raise _error(("gitlabUrl",), error.values[0], error.expected) from None
    return url
