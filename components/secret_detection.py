"""What looks like a secret: a value in a credential's published format, or a name that says
its value is one. A heuristic for what an error message must not echo and what a plain
destination (a ConfigMap, a command line) must not receive: it can miss a credential, never leak
one it recognises."""

from __future__ import annotations

import base64
import binascii
import difflib
import json
import re
from collections.abc import Mapping
from typing import Any

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


def holds_a_secret(value: Any) -> bool:
    """Whether ``value`` looks like a credential, or holds one at any depth (a member named like a
    secret, or a leaf that looks like one): an object given under a mistyped key, say."""
    if isinstance(value, Mapping):
        return any(
            (isinstance(key, str) and secret_looking_name(key)) or holds_a_secret(item) for key, item in value.items()
        )
    if isinstance(value, (list, tuple)):
        return any(holds_a_secret(item) for item in value)
    if isinstance(value, str) and value[:1] in ("{", "["):
        # An object under a key the loader does not know arrives as the CLI's JSON text.
        try:
            return holds_a_secret(json.loads(value)) or looks_like_credential(value) is not None
        except (ValueError, RecursionError):
            pass
    return looks_like_credential(value) is not None
