"""Validation rules shared by every Args dataclass and by the config loader.

Each rule raises :class:`InvalidArgument`, which knows the field (or fields) it is about,
the value given and what was expected. ``gitlab_k8s_cd.components.config`` re-raises it under the name of
the stack-config key that supplied the field, so a user reads ``gitlab-k8s-cd:replicas``
where a library user reads ``replicas``.

The rules follow the upstream grammars (Kubernetes apimachinery, the OCI distribution
reference grammar, GitLab's variable and masking rules), so the plan refuses what the API
server or GitLab would refuse, with our message instead of theirs.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import difflib
import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from importlib import resources
from typing import Any
from urllib.parse import unquote, urlsplit

import re2


@dataclass(frozen=True)
class Redacted:
    """A secret value as it may appear in an error message: its length, never its text."""

    length: int

    def __repr__(self) -> str:
        return f"[secret, {self.length} characters]"


@dataclass(frozen=True)
class Sanitized:
    """A value shown with its secret part replaced, e.g. a URL's password: ``https://u:[secret]@h``."""

    text: str

    def __repr__(self) -> str:
        return repr(self.text)


class InvalidArgument(ValueError):
    """A value that a rule refused.

    ``fields`` names the argument(s) at fault, ``values`` what was given for each, and
    ``expected`` says what is allowed. ``str(error)`` reads
    ``"max_surge and max_unavailable: cannot both be 0 (got 0 and 0)"``.

    A value is never shown when it looks like a credential, or when its field's name looks like
    a secret's (typos included): the message then shows its length (:func:`shown`).
    """

    def __init__(self, fields: str | Sequence[str], values: Any, expected: str) -> None:
        self.fields: tuple[str, ...] = (fields,) if isinstance(fields, str) else tuple(fields)
        given = values if isinstance(values, tuple) and len(self.fields) > 1 else (values,)
        names = self.fields if len(self.fields) == len(given) else self.fields[:1] * len(given)
        self.values: tuple[Any, ...] = tuple(shown(name, value) for name, value in zip(names, given, strict=True))
        self.expected = expected
        super().__init__(self.render(self.fields))

    def render(self, names: Sequence[str]) -> str:
        got = " and ".join(repr(v) for v in self.values)
        return f"{' and '.join(names)}: {self.expected} (got {got})"


# --- What looks like a secret ----------------------------------------------------------------

# Credentials by their published formats. A heuristic for what an error message must not echo
# and what a plain destination must not receive: it can miss a credential, never leak one it
# recognises.
_CREDENTIAL_FORMATS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # GitLab's token prefixes (doc/security/tokens: personal, deploy, trigger, runner, CI job,
    # OAuth, SCIM, incoming mail, agent, feature flags, feed, workspace tokens).
    ("a GitLab token", re.compile(r"\bgl(?:pat|dt|ptt|rt|cbt|oas|soat|imt|agent|ffct|ft|wt)-[0-9A-Za-z_-]{20,}")),
    ("a GitLab runner registration token", re.compile(r"\bGR1348941[0-9A-Za-z_-]{20,}")),
    ("a Pulumi access token", re.compile(r"\bpul-[0-9a-f]{40}\b")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[0-9A-Za-z]{36,}|github_pat_[0-9A-Za-z_]{22,})")),
    ("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a Slack token", re.compile(r"\bxox[abprs]-[0-9A-Za-z-]{10,}")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("a JSON web token", re.compile(r"\beyJ[0-9A-Za-z_-]{8,}\.eyJ[0-9A-Za-z_-]{8,}\.[0-9A-Za-z_-]{8,}")),
    # Bounded scheme and userinfo: a search over a long value stays linear.
    ("a URL with a password", re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,31}://[^/\s:@]{0,256}:[^/\s@]{1,256}@")),
    # ... or without a scheme, as in an image reference "user:password@registry.example.com/app".
    ("a URL with a password", re.compile(r"^[A-Za-z0-9._~%+-]{1,256}:[^/\s@]{1,256}@[A-Za-z0-9.-]+(?::\d+)?/")),
    ("a kubeconfig with credentials", re.compile(r"(?m)^\s*(?:token|client-key-data|password):\s*\S")),
)
_BASE64 = re.compile(r"^[A-Za-z0-9+/_-]{40,}={0,2}$")
# Words that make a name a secret's (DB_PASSWORD, apiToken, SESSION_SECRET), and final words that
# make it about a secret rather than one (deployTokenExpiresAt, TOKEN_TTL, PASSWORD_MIN_LENGTH).
_SECRET_WORDS = ("password", "passwd", "passphrase", "secret", "token", "credential", "credentials")
_SECRET_EXACT = frozenset({"pwd", "kubeconfig", "apikey", "privatekey", "passcode", "sig", "signature"})
# A "key" is a secret's (API_KEY, STRIPE_KEY, sshKey, storage_key) unless these say it is a key of
# another kind (SORT_KEY, CACHE_KEY, PUBLIC_KEY).
_NOT_A_SECRET_KEY = frozenset(
    {"public", "primary", "partition", "sort", "cache", "foreign", "hash", "object", "routing", "idempotency"}
    | {"lookup", "map", "dedup", "dedupe", "group", "shard", "row", "unique", "composite", "index", "ssh-public"}
)
_ABOUT_A_SECRET = frozenset(
    {
        *("at", "date", "expires", "expiry", "ttl", "seconds", "minutes", "hours", "days", "count", "version"),
        *("url", "uri", "path", "file", "dir", "name", "names", "id", "ids", "host", "port", "endpoint"),
        *("length", "size", "enabled", "type", "header", "prefix", "mode", "algorithm", "policy", "rotation"),
    }
)


def looks_like_credential(value: Any) -> str | None:
    """What kind of credential ``value`` looks like (``"a GitLab token"``), or None. The base64 of
    one (a private key, a kubeconfig) counts too."""
    if not isinstance(value, str):
        return None
    for kind, pattern in _CREDENTIAL_FORMATS:
        if pattern.search(value):
            return kind
    compact = value.strip()
    if _BASE64.match(compact):
        try:
            decoded = base64.b64decode(compact + "=" * (-len(compact) % 4), altchars=b"-_" if "-" in compact else None)
        except (binascii.Error, ValueError):
            return None
        text = decoded.decode("utf-8", errors="ignore")
        inner = looks_like_credential(text) if text != value else None
        return f"the base64 of {inner}" if inner else None
    return None


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [word.lower() for word in re.split(r"[^A-Za-z0-9]+", spaced) if word]


def secret_looking_name(name: str) -> bool:
    """Whether a key or field name says its value is a secret: ``DB_PASSWORD``, ``apiToken``,
    ``settings['SECRET_KEY']``, and their typos (``pulumiConfigPasphrase``); not
    ``deployTokenExpiresAt`` or ``TOKEN_TTL``, which are about one."""
    words = _words(name)
    if not words or words[-1] in _ABOUT_A_SECRET:
        return False
    for index, word in enumerate(words):
        # Typos too (pasphrase, pasword, tokn), but not the words they resemble (passed, taken, secretary).
        if word in _SECRET_EXACT or difflib.get_close_matches(word, _SECRET_WORDS, n=1, cutoff=0.85):
            return True
        if word == "key" and (index == 0 or words[index - 1] not in _NOT_A_SECRET_KEY):
            return True
    return False


def _holds_a_secret(value: Any) -> bool:
    """Whether ``value`` looks like a credential, or holds one at any depth (a member named like a
    secret, or a leaf that looks like one): an object given under a mistyped key, say."""
    if isinstance(value, Mapping):
        return any(
            (isinstance(key, str) and secret_looking_name(key)) or _holds_a_secret(item) for key, item in value.items()
        )
    if isinstance(value, (list, tuple)):
        return any(_holds_a_secret(item) for item in value)
    if isinstance(value, str) and value[:1] in ("{", "["):
        # An object under a key the loader does not know arrives as the CLI's JSON text.
        try:
            return _holds_a_secret(json.loads(value)) or looks_like_credential(value) is not None
        except (ValueError, RecursionError):
            pass
    return looks_like_credential(value) is not None


SHOWN_MAX = 512
"""The longest value a message quotes whole; a longer one is cut (its length is said)."""


def shown(field: str, value: Any) -> Any:
    """``value`` as an error message may show it for ``field``: redacted when either looks secret,
    cut when it is long."""
    if isinstance(value, (Redacted, Sanitized)) or value is None:
        return value
    if secret_looking_name(field) or _holds_a_secret(value):
        return Redacted(len(str(value)))
    if isinstance(value, str) and len(value) > SHOWN_MAX:
        return Sanitized(f"{value[:80]}... ({len(value)} characters)")
    return value


# --- Kubernetes names and quantities -------------------------------------------------------

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# apimachinery's quantity grammar: a signed decimal number, then a binary suffix (Ki..Ei),
# a decimal suffix (n, u, m, "", k, M, G, T, P, E) or a decimal exponent (e3, E-2).
_QUANTITY = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$")
_QUANTITY_SCALE = {
    "": Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
    "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
}
_EXPONENT = re.compile(r"[eE][+-]?\d+")
# The API server's Quantity fits an int64 of its smallest unit; anything near it is a typo.
_QUANTITY_MAX = Decimal(2**63 - 1)
_CONFIGMAP_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_PERCENT = re.compile(r"^([0-9]+)%$")


def dns1123_label(field: str, value: Any) -> str:
    """A Kubernetes name such as a namespace or a Service: RFC 1123 label, at most 63 characters."""
    if not isinstance(value, str) or len(value) > 63 or not _DNS1123_LABEL.match(value):
        raise InvalidArgument(
            field,
            value,
            "must be a DNS-1123 label: at most 63 lowercase letters, digits or '-', "
            "starting and ending with a letter or digit",
        )
    return value


def dns1123_subdomain(field: str, value: Any) -> str:
    if not isinstance(value, str) or len(value) > 253 or not _DNS1123_SUBDOMAIN.match(value):
        raise InvalidArgument(
            field,
            value,
            "must be a DNS-1123 subdomain: at most 253 lowercase letters, digits, '-' or '.'",
        )
    return value


_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
RESERVED_NAMESPACES = ("default",)
"""Namespaces the cluster itself uses, besides every ``kube-*`` one."""


def dns1035_label(field: str, value: Any) -> str:
    """A Service's name (the API server's ``ValidateServiceName``): an RFC 1035 label, which starts
    with a letter; at most 63 characters."""
    if not isinstance(value, str) or len(value) > 63 or not _DNS1035_LABEL.match(value):
        raise InvalidArgument(
            field,
            value,
            "must be a DNS-1035 label: at most 63 lowercase letters, digits or '-', starting with a "
            "letter and ending with a letter or digit (it names the app's Service)",
        )
    return value


def claimable_namespace(field: str, value: Any) -> str:
    """A namespace this project may create and hand a deployer: a DNS-1123 label that is not the
    cluster's own (``default``, ``kube-system``, ``kube-public``, ``kube-node-lease`` or any ``kube-*``)."""
    dns1123_label(field, value)
    if value in RESERVED_NAMESPACES or value.startswith("kube-"):
        raise InvalidArgument(
            field,
            value,
            "must not be the cluster's own namespace (default or kube-*): the stack would hand a "
            "deployer (and its CI variables) rights over what runs there",
        )
    return value


def parse_quantity(value: str) -> Decimal:
    """The numeric value of a Kubernetes quantity (``"500m"`` -> 0.5, ``"1Gi"`` -> 1073741824).

    The grammar is small and fixed; the official client's ``parse_quantity`` would pull the whole
    ``kubernetes`` package (and its import time) into every ``pulumi up`` for one regex.
    """
    match = _QUANTITY.match(value)
    assert match is not None, value
    number = match.group(0)[: len(match.group(0)) - len(match.group(3) or "")]
    suffix = match.group(3) or ""
    if _EXPONENT.fullmatch(suffix):  # "1e3"; not "2E" (exa) nor "1Ei" (exbi)
        return Decimal(number).scaleb(int(suffix[1:]))
    return Decimal(number) * _QUANTITY_SCALE[suffix]


def quantity(field: str, value: Any) -> str:
    """A Kubernetes resource quantity such as ``250m``, ``1``, ``512Mi`` or ``1e3``, not negative."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise InvalidArgument(field, value, f"must be a Kubernetes quantity as text: quote it, '{value}'")
    if not isinstance(value, str) or not _QUANTITY.match(value):
        raise InvalidArgument(
            field,
            value,
            "must be a Kubernetes quantity such as '250m', '1', '512Mi' or '2Gi'",
        )
    suffix = _QUANTITY.match(value).group(3) or ""  # type: ignore[union-attr]
    if _EXPONENT.fullmatch(suffix) and abs(int(suffix[1:])) > 18:
        raise InvalidArgument(field, value, "must be a Kubernetes quantity within 1e-9 to 1e18 of its unit")
    try:
        amount = parse_quantity(value)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        raise InvalidArgument(field, value, "must be a Kubernetes quantity") from None
    if amount < 0:
        raise InvalidArgument(field, value, "must not be negative")
    if amount > _QUANTITY_MAX:
        raise InvalidArgument(field, value, "must be a Kubernetes quantity below 2^63 (the API server's limit)")
    return value


_BYTE_SUFFIXES = frozenset({"Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "k", "M", "G", "T", "P", "E"})


def memory_quantity(field: str, value: Any) -> str:
    """A memory quantity with a byte unit (``512Mi``, ``1G``, ``128e6``). ``"128"`` would be 128
    bytes and ``"128m"`` 0.128 bytes: valid quantities, and always a mistake for memory."""
    quantity(field, value)
    suffix = _QUANTITY.match(value).group(3) or ""  # type: ignore[union-attr]
    if suffix not in _BYTE_SUFFIXES and not _EXPONENT.fullmatch(suffix):
        raise InvalidArgument(
            field, value, "must be a memory quantity with a unit, such as '128Mi' or '1Gi' (a bare number is bytes)"
        )
    if 0 < parse_quantity(value) < 2**20:
        raise InvalidArgument(field, value, "must be at least 1Mi: no container runs in less")
    return value


def cpu_quantity(field: str, value: Any) -> str:
    """A CPU quantity: cores (``1``, ``0.5``) or millicores (``250m``); never a byte unit."""
    quantity(field, value)
    suffix = _QUANTITY.match(value).group(3) or ""  # type: ignore[union-attr]
    if suffix.endswith("i"):
        raise InvalidArgument(field, value, "must be a CPU quantity in cores or millicores, such as '1' or '250m'")
    return value


def int_or_percent(field: str, value: Any) -> int | str:
    """A rollout bound: an integer from 0 to 2^31-1, or a percentage from 0% to 100%, as the API
    server reads one (digits then '%': ``"00%"`` is 0%, ``"050%"`` is 50%)."""
    expected = "must be an integer ≥ 0 or a percentage from 0% to 100%"
    if isinstance(value, bool):
        raise InvalidArgument(field, value, expected)
    if isinstance(value, int):
        if not 0 <= value <= INT32_MAX:
            raise InvalidArgument(field, value, expected)
        return value
    if isinstance(value, str):
        match = _PERCENT.match(value)
        if match and int(match.group(1)) <= 100:
            return value
    raise InvalidArgument(field, value, expected)


def is_zero(value: int | str) -> bool:
    """Whether a rollout bound is zero, in any spelling (``0``, ``"0%"``, ``"00%"``)."""
    return (value if isinstance(value, int) else int(value[:-1])) == 0


def resolve_bound(value: int | str, replicas: int, *, round_up: bool) -> int:
    """A rollout bound in pods, as the Deployment controller resolves it against ``replicas``
    (``GetScaledValueFromIntOrPercent``): maxSurge rounds up, maxUnavailable rounds down."""
    if isinstance(value, int):
        return value
    percent = int(value[:-1])
    scaled = Decimal(percent * replicas) / 100
    return int(scaled.to_integral_value(rounding=ROUND_CEILING if round_up else ROUND_FLOOR))


INT32_MAX = 2**31 - 1
"""The largest value of the API's int32 fields (replicas, ports, seconds, thresholds, counts)."""
WAIT_MAX_SECONDS = 3600
"""An hour, the longest any wait of a deploy may take (a rollout, a migration, an Ingress): a deploy
that may take longer holds the stack's lock (and the environment's resource group) past GitLab's
default job timeout, which would kill it mid-update."""


def integer(field: str, value: Any, minimum: int | None = None, maximum: int | None = INT32_MAX) -> int:
    """An integer within ``minimum`` and ``maximum`` (default: the API's int32 limit)."""
    if isinstance(value, bool) or not isinstance(value, int) or (minimum is not None and value < minimum):
        raise InvalidArgument(field, value, _range_text(minimum, maximum))
    if maximum is not None and value > maximum:
        if maximum == INT32_MAX:
            raise InvalidArgument(field, value, f"must be at most {INT32_MAX} (the API's int32 limit)")
        raise InvalidArgument(field, value, _range_text(minimum, maximum))
    return value


def _range_text(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None and maximum != INT32_MAX:
        return f"must be an integer from {minimum} to {maximum}"
    if minimum is not None:
        return f"must be an integer ≥ {minimum}"
    return "must be an integer"


def boolean(field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidArgument(field, value, "must be true or false")
    return value


def http_path(field: str, value: Any) -> str:
    """A probe path: starts with '/', printable ASCII, no whitespace."""
    if not isinstance(value, str) or not value.startswith("/") or not re.fullmatch(r"/[!-~]*", value):
        raise InvalidArgument(field, value, "must be an HTTP path starting with '/', with no spaces")
    return value


_LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def label_selector(field: str, value: Any) -> dict[str, str]:
    """Labels to match: keys ``[<DNS subdomain>/]<name>`` (name at most 63 characters, prefix at
    most 253), values at most 63, as the API server validates them (docs/contracts.md KA-5)."""
    if not isinstance(value, Mapping):
        raise InvalidArgument(field, value, "must map label keys to label values")
    for key, item in value.items():
        prefix, _, name = key.rpartition("/") if isinstance(key, str) else ("", "", "")
        if (
            not isinstance(key, str)
            or not _LABEL_NAME.match(name)
            or len(name) > 63
            or (prefix and (len(prefix) > 253 or not _SUBDOMAIN.match(prefix)))
        ):
            raise InvalidArgument(
                f"{field}[{key!r}]", Sanitized(str(key)), "must be a label key: [<DNS subdomain>/]<name of at most 63>"
            )
        if not isinstance(item, str) or len(item) > 63 or not _LABEL_VALUE.match(item):
            raise InvalidArgument(
                f"{field}[{key!r}]", item, "must be a label value: at most 63 letters, digits, '-', '_' or '.'"
            )
    return dict(value)


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


def one_line(field: str, value: Any, *, max_length: int, required: bool = False) -> str:
    """One line of text of at most ``max_length`` characters."""
    if not isinstance(value, str) or any(c in value for c in "\r\n\0") or (required and not value.strip()):
        raise InvalidArgument(field, value, "must be a single line of text" + (", not empty" if required else ""))
    if len(value) > max_length:
        raise InvalidArgument(field, value, f"must be at most {max_length} characters")
    return value


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


# --- Images ----------------------------------------------------------------------------------

# The reference grammar of github.com/distribution/reference, anchored.
_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
# ASCII: Go's \w is [0-9A-Za-z_]; fullmatch: a trailing newline is not part of any reference.
_IMAGE = re.compile(
    rf"(?P<name>(?:(?P<domain>{_DOMAIN})/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
    rf"(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?",
    re.ASCII,
)
# The digest algorithms a registry verifies (opencontainers/go-digest), with their hex lengths.
_DIGEST_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
NAME_TOTAL_LENGTH_MAX = 255
"""distribution/reference's ``NameTotalLengthMax``: a repository name, registry included."""


@dataclass(frozen=True)
class ImageReference:
    name: str
    tag: str | None
    digest: str | None

    @property
    def pinned(self) -> bool:
        return self.digest is not None

    @property
    def registry(self) -> str | None:
        """The registry host, by Docker's rule: a first component with '.' or ':', or localhost."""
        first, _, rest = self.name.partition("/")
        if rest and ("." in first or ":" in first or first == "localhost"):
            return first
        return None


def image_reference(field: str, value: Any) -> ImageReference:
    """An OCI image reference with a tag, a digest, or both; never neither.

    An image with neither would mean ``:latest``, which makes a deploy unrepeatable.
    """
    expected = (
        "must be an image reference with a tag or a digest, such as "
        "'registry.example.com/group/app:1.2.3' or 'registry.example.com/group/app@sha256:<64 hex>'"
    )
    if not isinstance(value, str) or len(value) > 1024:
        raise InvalidArgument(field, value, expected)
    match = _IMAGE.fullmatch(value)
    if not match or not (match.group("tag") or match.group("digest")):
        raise InvalidArgument(field, value, expected)
    if len(match.group("name")) > NAME_TOTAL_LENGTH_MAX:
        raise InvalidArgument(field, value, f"its repository name must be at most {NAME_TOTAL_LENGTH_MAX} characters")
    digest = match.group("digest")
    if digest is not None:
        algorithm, _, hex_digits = digest.partition(":")
        length = _DIGEST_HEX_LENGTHS.get(algorithm)
        if length is None or not re.fullmatch(rf"[0-9a-f]{{{length}}}", hex_digits):
            raise InvalidArgument(
                field,
                value,
                "its digest must be 'sha256:' and 64 lowercase hex digits (or sha384: and 96, sha512: and 128: "
                "what a registry verifies)",
            )
    return ImageReference(match.group("name"), match.group("tag"), digest)


_REGISTRY_HOST = re.compile(rf"{_DOMAIN}", re.ASCII)


def registry_host(field: str, value: Any) -> str:
    """A registry as an image reference names it: ``host[:port]`` (``registry.gitlab.com``,
    ``gitlab.example.com:5050``), which Docker's rule takes for a registry (a '.' or a ':', or
    ``localhost``); no scheme, no path. It is what GitLab CI's ``$CI_REGISTRY`` holds."""
    expected = (
        "must be a registry host as an image names it, host[:port] (e.g. 'registry.gitlab.com' or "
        "'gitlab.example.com:5050', what $CI_REGISTRY holds)"
    )
    if not isinstance(value, str) or len(value) > NAME_TOTAL_LENGTH_MAX:
        raise InvalidArgument(field, value, expected)
    if "://" in value:
        raise InvalidArgument(field, value, f"{expected}: without a scheme")
    if "/" in value:
        raise InvalidArgument(field, value, f"{expected}: without a path")
    if not _REGISTRY_HOST.fullmatch(value) or not ("." in value or ":" in value or value == "localhost"):
        raise InvalidArgument(field, value, expected)
    port = value.rpartition(":")[2] if value.rpartition(":")[0] and not value.endswith("]") else None
    if port is not None and not 1 <= int(port) <= 65535:
        raise InvalidArgument(field, value, "must have a port from 1 to 65535, if any")
    return value


# --- URLs, dates, certificates ---------------------------------------------------------------


def absolute_url(
    field: str,
    value: Any,
    schemes: Sequence[str] = ("https",),
    max_length: int | None = None,
    base_only: bool = False,
) -> str:
    """An absolute URL with one of ``schemes``, a valid host and port, no credentials (neither
    ``user:password@`` nor a query parameter named like a secret), and nothing that could break a
    YAML line. ``max_length`` is the destination's limit (GitLab's 255 for an environment URL), if
    it has one; ``base_only``: no query and no fragment (a base URL others are built on).

    A refused URL is shown without its credentials, whatever the refusal."""
    expected = f"must be an absolute {' or '.join(s + '://' for s in schemes)} URL with a host"
    if not isinstance(value, str):
        raise InvalidArgument(field, value, expected)
    shown_value: Any = without_credentials(value)
    if shown_value != value:
        # Stack config is plain text, in the repository and in the state: credentials never go there.
        raise InvalidArgument(
            field,
            Sanitized(shown_value),
            "must not carry credentials (user:password@, or a query parameter named like a secret): the URL is "
            "stored and shown in plain text; give the credentials to the tool that needs them, as a secret",
        )
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in value):
        raise InvalidArgument(field, value, expected)
    try:
        parts = urlsplit(value)
    except ValueError:  # "Invalid IPv6 URL": an unbalanced bracket
        raise InvalidArgument(field, value, expected) from None
    if parts.scheme not in schemes or not parts.netloc:
        raise InvalidArgument(field, value, expected)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= 65535:
        raise InvalidArgument(field, value, "must have a port from 1 to 65535, if any")
    host = parts.hostname or ""
    if parts.scheme in ("https", "http") and not (_is_ip_literal(host) or _DNS1123_SUBDOMAIN.match(host)):
        raise InvalidArgument(field, value, "must have a valid host name (letters, digits, '-' and '.')")
    if base_only and (parts.query or parts.fragment or "?" in value or "#" in value):
        raise InvalidArgument(field, value, "must be a base URL, with no query or fragment")
    if max_length is not None and len(value) > max_length:
        raise InvalidArgument(field, value, f"must be at most {max_length} characters (GitLab's limit)")
    return value


def without_credentials(url: str) -> str:
    """``url`` with its userinfo, and the value of every parameter after its host (query, ``;``
    parameters, fragment) whose name or value looks secret, replaced by ``[secret]``; ``url``
    itself when it has none."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    netloc, slash, tail = rest.partition("/") if "/" in rest.split("?")[0].split("#")[0] else (rest, "", "")
    if not slash:
        # No path: the query or fragment starts right after the host.
        cut = min((i for i in (rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
        netloc, tail = rest[:cut], rest[cut:]
    if "@" in netloc:
        netloc = "[secret]@" + netloc.rpartition("@")[2]

    def hide(match: re.Match[str]) -> str:
        name, item = match.group(1), match.group(2)
        secret = secret_looking_name(unquote(name)) or looks_like_credential(unquote(item)) is not None
        return f"{name}=[secret]" if secret and item else match.group(0)

    tail = _PARAMETER.sub(hide, tail)
    return f"{scheme}://{netloc}{slash}{tail}"


# name=value after '?', '&', ';' or '#' (a query, matrix parameters, a fragment's parameters).
_PARAMETER = re.compile(r"(?<=[?&;#])([^=&;#?/]+)=([^&;#]*)")


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def future_date(field: str, value: Any, today: _dt.date | None = None) -> str:
    """A ``YYYY-MM-DD`` date after today: GitLab refuses tokens that expire in the past."""
    try:
        date = _dt.date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        date = None
    if date is None:
        hint = ""
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC", value):
            # How the Pulumi CLI hands over an unquoted YAML date (docs/contracts.md PC-8).
            hint = f" (an unquoted date in the stack file reaches the program as a timestamp: quote it, {value[:10]!r})"
        raise InvalidArgument(field, value, f"must be a date in YYYY-MM-DD form{hint}")
    today = today or _dt.date.today()
    if date <= today:
        raise InvalidArgument(field, value, f"must be a date after today ({today.isoformat()})")
    return value


def pem_certificate_base64(field: str, value: Any) -> str:
    """Base64 of a PEM certificate bundle, as in a kubeconfig's ``certificate-authority-data``."""
    expected = "must be the base64 of a PEM certificate (a kubeconfig's certificate-authority-data)"
    if not isinstance(value, str):
        raise InvalidArgument(field, value, expected)
    try:
        pem = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidArgument(field, value[:40] + ("..." if len(value) > 40 else ""), expected) from None
    if b"-----BEGIN CERTIFICATE-----" not in pem:
        raise InvalidArgument(field, value[:40] + ("..." if len(value) > 40 else ""), expected)
    return value


# --- GitLab ----------------------------------------------------------------------------------

_VARIABLE_KEY = re.compile(r"^[A-Za-z0-9_]{1,255}$")
# GitLab's masking rules: at least 8 characters, no whitespace, and only the RFC 4648 Base64
# alphabet (both variants, with '=' padding) plus '@', ':', '.' and '~'.
_MASKABLE = re.compile(r"^[A-Za-z0-9+/=@:.~_-]{8,}$")
_ENVIRONMENT_NAME = re.compile(r"^(?=.{1,255}$)[a-zA-Z0-9]([a-zA-Z0-9 _./-]*[a-zA-Z0-9 _.-])?$")
_ENVIRONMENT_SCOPE = re.compile(r"^(\*|[a-zA-Z0-9 _./${}*-]{1,255})$")
# Gitlab::PathRegex (lib/gitlab/path_regex.rb): any segment, and a new project's path.
_PATH_SEGMENT = re.compile(r"^[a-zA-Z0-9_.][a-zA-Z0-9_.-]{0,254}$")
_NEW_PROJECT_PATH = re.compile(r"^[a-zA-Z0-9]+([._-][a-zA-Z0-9]+)*$")
PROJECT_WILDCARD_ROUTES = frozenset(
    [
        "-",
        "badges",
        "blame",
        "blob",
        "builds",
        "commits",
        "create",
        "create_dir",
        "edit",
        "environments",
        "files",
        "find_file",
        "gitlab-lfs",
        "info",
        "new",
        "preview",
        "raw",
        "refs",
        "tree",
        "update",
        "wikis",
    ]
)
"""Project names GitLab refuses (``PROJECT_WILDCARD_ROUTES``; multi-segment routes by their first)."""
TOP_LEVEL_ROUTES = frozenset(
    [
        "-",
        ".well-known",
        "404.html",
        "422.html",
        "500.html",
        "502.html",
        "503.html",
        "admin",
        "api",
        "apple-touch-icon.png",
        "assets",
        "dashboard",
        "deploy.html",
        "explore",
        "favicon.ico",
        "favicon.png",
        "files",
        "groups",
        "health_check",
        "help",
        "import",
        "jwt",
        "login",
        "oauth",
        "profile",
        "projects",
        "public",
        "robots.txt",
        "s",
        "search",
        "sitemap",
        "sitemap.xml",
        "sitemap.xml.gz",
        "slash-command-logo.png",
        "snippets",
        "unsubscribes",
        "uploads",
        "users",
        "v2",
    ]
)
"""Top-level group names GitLab reserves (doc/user/reserved_names.md)."""


def variable_key(field: str, value: Any) -> str:
    if not isinstance(value, str) or not _VARIABLE_KEY.match(value):
        raise InvalidArgument(field, value, "must be 1 to 255 letters, digits or '_' (GitLab's variable key rule)")
    return value


def maskable(field: str, value: str, secret: bool = True) -> str:
    """A value GitLab can mask: ≥8 characters from ``[A-Za-z0-9+/=@:.~_-]``, no whitespace."""
    if not _MASKABLE.match(value):
        shown: Any = Redacted(len(value)) if secret else value
        raise InvalidArgument(
            field,
            shown,
            "GitLab cannot mask this value: it needs at least 8 characters, no whitespace, "
            "and only letters, digits and '+ / = - _ @ : . ~'",
        )
    return value


def environment_name(field: str, value: Any) -> str:
    """A GitLab environment name (``Gitlab::Regex.environment_name_regex``, at most 255 characters),
    as a literal: no ``$``, ``{`` or ``}``, which GitLab allows for CI to expand, and which would make
    the deploy job's ``environment:name`` differ from the name the stack scopes its variables to."""
    if not isinstance(value, str) or not _ENVIRONMENT_NAME.match(value) or value.strip() != value:
        raise InvalidArgument(
            field,
            value,
            "must be a GitLab environment name: at most 255 letters, digits, spaces and '- _ / .', starting with "
            "a letter or digit and not ending with '/' (no '$', '{' or '}': CI would expand them)",
        )
    return value


def environment_scope(field: str, value: Any) -> str:
    if not isinstance(value, str) or not _ENVIRONMENT_SCOPE.match(value):
        raise InvalidArgument(field, value, "must be '*' or an environment name, optionally with '*' wildcards")
    return value


def project_path(field: str, value: Any, new: bool = False) -> str:
    """A GitLab project path with its namespace, e.g. ``acme/platform/hello``
    (``Gitlab::PathRegex``). ``new``: the project is created here, so its own segment must also be
    a path GitLab gives new projects (letters and digits, single '.', '_' or '-' between) and not a
    name GitLab reserves for its routes."""
    expected = "must be a GitLab project path with its group, such as 'acme/hello'"
    parts = value.split("/") if isinstance(value, str) else []
    if len(parts) < 2 or not all(
        _PATH_SEGMENT.match(p) and not p.endswith((".git", ".atom")) and p.strip(".") for p in parts
    ):
        raise InvalidArgument(field, value, expected)
    if parts[0].lower() in TOP_LEVEL_ROUTES:
        raise InvalidArgument(field, value, f"must not start with {parts[0]!r}, a name GitLab reserves for its routes")
    if new:
        project = parts[-1]
        if not _NEW_PROJECT_PATH.match(project):
            raise InvalidArgument(
                field,
                value,
                "must end in a path GitLab accepts for a new project: letters and digits, with single '.', '_' or "
                "'-' between them (not first or last)",
            )
        if project.lower() in PROJECT_WILDCARD_ROUTES:
            raise InvalidArgument(field, value, f"must not end in {project!r}, a name GitLab reserves for its routes")
    return value


# Five cron fields as GitLab reads them (Fugit::Cron, fugit 1.11.1 lib/fugit/cron.rb), but stricter
# where Fugit is lenient: hour 24, a sixth (seconds) field, L/last and '#' forms are refused.
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_CRON_FIELDS = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {name: number for number, name in enumerate(_MONTHS, start=1)}),
    ("day of week", 0, 7, {name: number for number, name in enumerate(_WEEKDAYS)}),
)
_CRON_ITEM = re.compile(r"^(\*|[0-9a-z]+(-[0-9a-z]+)?)(/[0-9]{1,2})?$")
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def cron_expression(field: str, value: Any) -> str:
    """A five-field cron expression GitLab's scheduler accepts, whose fields are in range and whose
    days exist (``0 0 30 2 *`` never runs: GitLab refuses it)."""
    expected = "must be a five-field cron expression, e.g. '0 3 * * *' (minute hour day-of-month month day-of-week)"
    if not isinstance(value, str) or any(ord(c) < 32 and c != " " for c in value):
        raise InvalidArgument(field, value, expected)
    fields = value.lower().split()
    if len(fields) != 5:
        raise InvalidArgument(field, value, expected)
    allowed: list[set[int]] = []
    for text, (name, low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        values: set[int] = set()
        for item in text.split(","):
            match = _CRON_ITEM.match(item)
            if not match:
                raise InvalidArgument(field, value, f"{expected}; its {name} field {text!r} is not one")
            step = int(match.group(3)[1:]) if match.group(3) else 1
            if match.group(1) == "*":
                first, last = low, high
            else:
                bounds = [_cron_number(part, names) for part in match.group(1).split("-")]
                if any(b is None or not low <= b <= high for b in bounds):
                    raise InvalidArgument(
                        field, value, f"must be a cron expression whose {name} is from {low} to {high} (not {text!r})"
                    )
                first, last = bounds[0], bounds[-1]  # type: ignore[assignment]
            if step < 1 or first > last:
                raise InvalidArgument(field, value, f"must be a cron expression; its {name} range {text!r} is empty")
            values |= set(range(first, last + 1, step))
        allowed.append(values)
    days, months = allowed[2], allowed[3]
    if fields[2] != "*" and not any(day <= _DAYS_IN_MONTH[month - 1] for day in days for month in months):
        raise InvalidArgument(field, value, "must name a day that exists in one of its months (it would never run)")
    return value


def _cron_number(text: str, names: Mapping[str, int]) -> int | None:
    if text.isdigit():
        return int(text)
    return names.get(text)


_TIME_ZONES: frozenset[str] | None = None


def time_zone(field: str, value: Any) -> str:
    """An IANA time zone name (``UTC``, ``Europe/Paris``), which GitLab's TZInfo knows. GitLab also
    takes Rails' names (``Paris``); the IANA name is the unambiguous one."""
    global _TIME_ZONES
    if _TIME_ZONES is None:
        # The tzdata package's list, not the host's /usr/share/zoneinfo (which adds "localtime",
        # "posixrules" and the like, and differs from one machine to the next).
        _TIME_ZONES = frozenset(resources.files("tzdata").joinpath("zones").read_text().split()) - {"Factory"}
    if not isinstance(value, str) or value not in _TIME_ZONES:
        raise InvalidArgument(field, value, "must be an IANA time zone name such as 'UTC' or 'Europe/Paris'")
    return value


def one_of(field: str, value: Any, allowed: Sequence[Any]) -> Any:
    if isinstance(value, bool) or value not in allowed:
        raise InvalidArgument(field, value, f"must be one of {', '.join(repr(a) for a in allowed)}")
    return value


# GitLab checks a cleanup policy's regexes with RE2 (Gitlab::UntrustedRegexp, the re2 gem), and
# stores each in a varchar(255); so do we, with RE2 itself (google-re2), not a look-alike.
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # the library would print its refusals to stderr
REGEX_MAX_LENGTH = 255


def re2_pattern(field: str, value: Any) -> str:
    """A regex GitLab's RE2 accepts, on one line, of at most 255 characters, whose top-level
    alternatives (if any) are grouped: GitLab matches a tag against ``\\A<regex>\\z`` without a
    group, so ``a|b`` would mean "starts with a, or ends with b" (:func:`gitlab_tag_match`)."""
    if not isinstance(value, str) or not value:
        raise InvalidArgument(field, value, "must be a non-empty regular expression")
    if any(c in value for c in "\n\r"):
        raise InvalidArgument(field, value, "must be a single line")
    if len(value) > REGEX_MAX_LENGTH:
        raise InvalidArgument(field, value, f"must be at most {REGEX_MAX_LENGTH} characters (GitLab's limit)")
    try:
        re2.compile(value, _RE2_OPTIONS)
    except re2.error as error:
        reason = error.args[0].decode() if error.args and isinstance(error.args[0], bytes) else str(error)
        raise InvalidArgument(field, value, f"must be RE2 syntax, GitLab's regex engine ({reason})") from None
    if _has_top_level_alternation(value):
        raise InvalidArgument(
            field,
            value,
            "must group its alternatives, e.g. '(ci-.*|review-.*)': GitLab anchors it as \\A<regex>\\z, so an "
            "ungrouped 'a|b' matches every tag that starts with a or ends with b",
        )
    return value


def gitlab_tag_match(regex: str, tag: str) -> bool:
    """Whether GitLab's cleanup policy matches ``tag`` with ``regex``: RE2, ``\\A<regex>\\z``
    (``Projects::ContainerRepository::CleanupTagsService``)."""
    return re2.search(f"\\A{regex}\\z", tag, _RE2_OPTIONS) is not None


def _has_top_level_alternation(regex: str) -> bool:
    depth, in_class, escaped, class_start = 0, False, False, -1
    for index, char in enumerate(regex):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            # A ']' first in a class ("[]|]", "[^]|]") is a literal, not its end.
            literal = index == class_start or (index == class_start + 1 and regex[class_start] == "^")
            in_class = char != "]" or literal
        elif char == "[":
            in_class, class_start = True, index + 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return True
    return False


def renamed(build: Any, names: Mapping[str, str]) -> Any:
    """Call ``build()`` and rename the fields of any InvalidArgument it raises (``name`` -> ``namespace``)."""
    try:
        return build()
    except InvalidArgument as error:
        fields = tuple(_rename(f, names) for f in error.fields)
        values = error.values if len(fields) > 1 else error.values[0]
        raise InvalidArgument(fields, values, error.expected) from None


def _rename(field_path: str, names: Mapping[str, str]) -> str:
    head, dot, rest = field_path.partition(".")
    return names.get(head, head) + dot + rest
