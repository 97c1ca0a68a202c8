"""The stack config as the runtime holds it, and how a value of it is refused.

Every reader of stack configuration goes through here: the keys the stack holds
(:func:`stack_keys`), a key's text (:func:`value`, with the public ``pulumi.Config``), whether it
was set with ``--secret`` (:func:`is_secret`), and the :class:`ConfigError` that names the config
key, the value given and what is expected, e.g.::

    ledger-infra:rollout.maxSurge and ledger-infra:rollout.maxUnavailable: cannot both be 0,
    or the rollout could never start (got 0 and 0)

The keys and what they bind to are :mod:`.config_keys`; the checks of the raw config
:mod:`.config_checks`; binding them to Args :mod:`.config_binder` and :mod:`.stack_settings`
(``load_settings``); a review stack's config :mod:`.review_config`.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from . import redaction

NAMESPACE = "gitlab-k8s-cd"
"""This repository's own project name, so its example stack's keys are ``gitlab-k8s-cd:*``. A
program reads its own project's namespace (``load_settings``); nothing assumes this one, but
our keys found in it in another project are refused (``config_checks.reject_wrong_namespace``)."""


class ConfigError(ValueError):
    """A stack config value that was refused. ``keys`` are the full config keys at fault."""

    def __init__(self, keys: tuple[str, ...], message: str) -> None:
        self.keys = keys
        super().__init__(message)


# --- the runtime's config ----------------------------------------------------------------------


def stack_keys() -> set[str]:
    """Every full key (``<namespace>:<name>``) the stack's config holds.

    ``pulumi.Config`` reads one key by its name and has no way to list them (sdk/python/lib/pulumi/
    config.py), yet a key this program does not know, or one of ours in another namespace, must be
    refused, not ignored. So the runtime's map (filled from ``PULUMI_CONFIG`` by the language host,
    or by ``set_all_config``) and ``PULUMI_CONFIG`` itself are read here, and nowhere else:
    docs/contracts.md PC-19."""
    return set(runtime_config.CONFIG.get()) | set(pulumi.runtime.get_config_env())


def is_secret(full_key: str) -> bool:
    """Whether ``full_key`` was set with ``pulumi config set --secret`` (a ``--secret --path``
    member marks its whole top-level key). ``Config.get_secret`` marks any value secret, set so or
    not; whether the user set it as one is only in the runtime's secret keys
    (``PULUMI_CONFIG_SECRET_KEYS``): docs/contracts.md PC-19."""
    return pulumi.runtime.is_config_secret(full_key)


def value(namespace: str, key: str) -> Any:
    """The text the CLI handed over for ``<namespace>:<key>`` (objects as JSON), or None."""
    if not namespace:
        # pulumi.Config("") would read the project's namespace; the CLI hands over no key without
        # one (config.ParseKey refuses ``:key``).
        return None
    return pulumi.Config(namespace).get(key)


def secret_value(namespace: str, key: str) -> pulumi.Output[str] | None:
    """``<namespace>:<key>`` as an ``Output.secret`` from the moment it is read, or None."""
    return pulumi.Config(namespace).get_secret(key)


# --- the namespace being read ------------------------------------------------------------------

# For the messages and secret checks of the one load_settings or derive_review_config call under
# way. No default: nothing reads keys without having been told where.
_READING: contextvars.ContextVar[str] = contextvars.ContextVar("gitlab_k8s_cd_config_namespace")


@contextlib.contextmanager
def reading(namespace: str) -> Iterator[None]:
    token = _READING.set(namespace)
    try:
        yield
    finally:
        _READING.reset(token)


def namespace() -> str:
    """The namespace being read."""
    return _READING.get()


def check_namespace(namespace: Any) -> str:
    """A config namespace as config.ParseKey takes one: text without ``:``."""
    if not isinstance(namespace, str) or not namespace or ":" in namespace:
        raise ValueError(f"namespace: must be a Pulumi config namespace, non-empty and without ':' (got {namespace!r})")
    return namespace


def key_is_secret(key: str) -> bool:
    """Whether the top-level key of ``key`` (``imagePull.password``, ``secrets['X']``), in the
    namespace being read, was set with ``--secret``."""
    return is_secret(f"{namespace()}:{key.split('.')[0].split('[')[0]}")


# --- refusing ------------------------------------------------------------------------------------


def error(keys: tuple[str, ...], given: Any, expected: str) -> ConfigError:
    """The refusal of ``keys`` (short, in the namespace being read): ``given`` (one value per key
    when there are several) is shown unless it is a secret or looks like a credential."""
    full = tuple(f"{namespace()}:{k}" for k in keys)
    values = given if len(keys) > 1 else (given,)
    if any(key_is_secret(k) for k in keys):
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
