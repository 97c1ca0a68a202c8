"""What a container is given in plain text in its pod spec: command lines, and settings passed as
environment variables through a ConfigMap. Neither may carry a secret."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .redaction import Redacted, Sanitized
from .secret_detection import looks_like_credential, secret_looking_name
from .validation import InvalidArgument

COMMAND_LINE_MAX = 64
"""Arguments in a command line: a process's command, its args, a probe's command."""


def command_line(field: str, value: Any, *, required: bool = False) -> tuple[str, ...]:
    """A command and its arguments as a list of strings (run without a shell): no NUL byte, and
    nothing that looks like a credential, since the pod spec is plain text to anyone who may read
    Deployments."""
    if isinstance(value, str) or not isinstance(value, Sequence) or (required and not value):
        raise InvalidArgument(
            field,
            value,
            "must be a list of strings, e.g. ['/app/worker', '--queue', 'default']"
            + (", not empty" if required else ""),
        )
    if len(value) > COMMAND_LINE_MAX:
        raise InvalidArgument(field, Sanitized(f"{len(value)} items"), f"must have at most {COMMAND_LINE_MAX} items")
    for index, item in enumerate(value):
        if not isinstance(item, str) or "\0" in item:
            raise InvalidArgument(f"{field}[{index}]", item, "must be a string without a NUL byte")
        kind = looks_like_credential(item)
        if kind:
            raise InvalidArgument(
                f"{field}[{index}]",
                Redacted(len(item)),
                f"looks like {kind}: a command line is plain text in the pod spec; pass secrets as secret settings",
            )
    return tuple(value)


def own_command(command: Any, args: Any, why: str) -> None:
    """A command line of its own from the app's image: ``command`` and ``args`` (lists), at least
    one of them; ``why`` ends the message when neither is given."""
    command_line("command", command)
    command_line("args", args)
    if not command and not args:
        raise InvalidArgument(("command", "args"), ((), ()), f"one is required: {why}")


_CONFIGMAP_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


def configmap_data(field: str, value: Any) -> dict[str, str]:
    """ConfigMap data: keys of letters, digits, '-', '_' or '.', string values."""
    if not isinstance(value, Mapping):
        raise InvalidArgument(field, value, "must be a mapping of string keys to string values")
    for key, item in value.items():
        if not isinstance(key, str) or len(key) > 253 or not _CONFIGMAP_KEY.match(key) or key in (".", ".."):
            # The key is a name, shown as given (it is in the field's name anyway).
            raise InvalidArgument(f"{field}[{key!r}]", Sanitized(key), "keys must be letters, digits, '-', '_' or '.'")
        if not isinstance(item, str):
            raise InvalidArgument(f"{field}[{key!r}]", item, "values must be strings (quote numbers and booleans)")
    return dict(value)


# The kubelet's rule for environment variable names (IsEnvVarName): a ConfigMap key that breaks
# it is skipped by envFrom, with only an event to say so.
_ENV_VAR_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
CONFIGMAP_MAX_BYTES = 1024 * 1024
"""A ConfigMap's data, keys and values, is at most 1 MiB (the API server's MaxSecretSize)."""
RUNTIME_VARIABLES = frozenset({"PATH", "HOME", "HOSTNAME", "USER", "SHELL", "PWD", "TMPDIR", "TERM"})
"""Variables the image or the kubelet sets, which a setting would silently replace."""
RUNTIME_PREFIXES = ("KUBERNETES_", "LD_")
_SERVICE_LINK = re.compile(r"^[A-Z0-9_]+_SERVICE_(HOST|PORT(_[A-Z0-9_]+)?)$")
"""The kubelet's service links: <SERVICE>_SERVICE_HOST and _SERVICE_PORT[_<port name>], set for
every Service of the namespace (enableServiceLinks), which an envFrom key would replace."""
"""The kubelet's service variables (``KUBERNETES_SERVICE_HOST``...), and the dynamic loader's
(``LD_PRELOAD`` runs code in the app)."""


def environment_variable_name(field: str, key: str) -> str:
    """A name the kubelet passes from ``envFrom`` (it skips others) and that replaces nothing the
    runtime sets."""
    if not _ENV_VAR_NAME.match(key):
        raise InvalidArgument(
            field,
            Sanitized(key),
            "must be an environment variable name: a letter, '_', '-' or '.' first, then also digits "
            "(the kubelet skips any other key)",
        )
    if key in RUNTIME_VARIABLES or key.startswith(RUNTIME_PREFIXES) or _SERVICE_LINK.match(key):
        raise InvalidArgument(
            field,
            Sanitized(key),
            f"must not replace a variable the runtime sets ({', '.join(sorted(RUNTIME_VARIABLES))}, "
            f"{', '.join(p + '*' for p in RUNTIME_PREFIXES)}, *_SERVICE_HOST, *_SERVICE_PORT*)",
        )
    return key


def environment_settings(field: str, value: Any) -> dict[str, str]:
    """Settings the app gets as environment variables, through a ConfigMap (plain text): ConfigMap
    data whose keys the kubelet will pass (not skip), that replace nothing the runtime sets, with
    no NUL byte, and with nothing that looks like a credential."""
    data = configmap_data(field, value)
    size = sum(len(key.encode()) + len(item.encode()) for key, item in data.items())
    if size > CONFIGMAP_MAX_BYTES:
        raise InvalidArgument(
            field, Sanitized(f"{len(data)} settings, {size} bytes"), "must fit in a ConfigMap: at most 1 MiB in all"
        )
    for key, item in data.items():
        name = f"{field}[{key!r}]"
        environment_variable_name(name, key)
        if "\0" in item:
            raise InvalidArgument(
                name, Redacted(len(item)), "must not contain a NUL byte (an environment variable cannot)"
            )
        kind = looks_like_credential(item)
        if kind or secret_looking_name(key):
            raise InvalidArgument(
                name,
                Redacted(len(item)),
                f"{'looks like ' + kind if kind else 'is named like a secret'}: settings go into a ConfigMap, in plain "
                "text, in the state and the plan; keep secrets out of settings (give the app its secrets through a "
                "Kubernetes Secret it reads)",
            )
    return data
