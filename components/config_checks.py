"""The checks of a stack's raw config, before any of it is bound: keys where this program does
not read them, keys it does not know, text that is not Unicode, and secrets (or what looks like
one) on their way to a plain destination. A secret's value is never shown."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from . import redaction, secret_detection
from .config import NAMESPACE, ConfigError, error, key_is_secret, namespace
from .config_keys import BY_NAME, IMAGE_PULL_SECRET, KNOWN_KEYS, MAPPING_KEYS, OBJECT_KEYS, PLAIN, SECRET_KEYS

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


def default_pointer() -> str:
    """What a value set with --secret that is not a secret should do instead."""
    return "it is not a secret: set it without --secret; the secrets this stack takes are " + " and ".join(
        f"{namespace()}:{key}" for key in SECRET_KEYS
    )


def encrypted(value: Any) -> bool:
    """Whether a stack file's value holds a ``secure:`` ciphertext (the whole key is then secret)."""
    if isinstance(value, Mapping):
        return (len(value) == 1 and isinstance(value.get("secure"), str)) or any(encrypted(v) for v in value.values())
    return isinstance(value, list) and any(encrypted(item) for item in value)


def reject_wrong_namespace(
    keys: Iterable[str],
    reading: str,
    project: str,
    *,
    value: Callable[[str], Any],
    secret: Callable[[str], bool],
) -> None:
    """Refuse one of our keys where this program does not read it: in the library's own project's
    namespace (a stack file copied from this repository), in the project's when the program reads
    another, in a namespace close to the one read or to the project's name (a misspelling, or the
    name without or with a suffix: :func:`close`), or in any other namespace, not a provider's,
    that holds two or more of our keys (a project renamed after its config was set). Other
    namespaces, the providers' among them (``kubernetes:namespace``), are left alone. A secret's
    value is never shown."""
    held: dict[str, list[str]] = {}
    for full in sorted(keys):
        other, _, key = full.partition(":")
        if other != reading and other not in PROVIDER_NAMESPACES and key in KNOWN_KEYS:
            held.setdefault(other, []).append(key)
    for other, ours in held.items():
        near = None if other in (NAMESPACE, project) else close(other, (reading, project))
        if other not in (NAMESPACE, project) and near is None and len(ours) < 2:
            continue
        key = ours[0]
        full = f"{other}:{key}"
        given = value(full)
        if secret(full) or key in SECRET_KEYS or key == "secrets":
            given = redaction.Redacted(len(given if isinstance(given, str) else json.dumps(given, default=str)))
        given = redaction.shown(key, given)
        set_as = key if reading == project else f"{reading}:{key}"
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
            + f"; this program reads the {reading} namespace: set it with `{command}`, which writes "
            f"{reading}:{key}"
            + (f"; {len(ours) - 1} more of this program's keys are in {other} too" if len(ours) > 1 else "")
        )
        raise ConfigError((full,), f"{full}: {why} (got {given!r})")


def close(other: str, names: Iterable[str]) -> str | None:
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


def reject_unknown(raw: Mapping[str, Any]) -> None:
    for key in raw:
        if key not in KNOWN_KEYS:
            near = difflib.get_close_matches(key, sorted(KNOWN_KEYS), n=1)
            hint = f"did you mean {namespace()}:{near[0]}?" if near else "see the README for every key"
            raise error((key,), raw[key], f"is not a known key; {hint}")


def reject_plain_secrets(raw: Mapping[str, Any]) -> None:
    """A value set with ``pulumi config set --secret`` (a whole key, or a member with ``--path``,
    which makes the whole key secret) may only go where it stays secret; so may anything that
    looks like a credential, set as secret or not."""
    for key, value in raw.items():
        if key in SECRET_KEYS or key == "secrets":
            continue
        destination = BY_NAME[key].destination
        pointer = BY_NAME[key].pointer
        if key == "imagePull":
            check_image_pull_secrecy(value)
            value = {member: item for member, item in value.items() if member != IMAGE_PULL_SECRET}
        elif key_is_secret(key):
            raise error(
                (key,),
                value,
                f"is set as a secret (pulumi config set --secret), but it goes to {destination}, in plain text: "
                f"{pointer or default_pointer()}",
            )
        for path, leaf in leaves(key, value, named=key in MAPPING_KEYS):
            kind = secret_detection.looks_like_credential(leaf)
            if kind and key != "settings":  # settings say more about their own (container_inputs.environment_settings)
                raise error(
                    (path,),
                    redaction.Redacted(len(leaf)),
                    f"looks like {kind}, and would go to {destination}, in "
                    f"plain text: {pointer or 'never put credentials in stack config'}",
                )


def check_image_pull_secrecy(members: Mapping[str, Any]) -> None:
    """``imagePull.password`` only as a secret (``--secret --path`` marks the whole key secret: the
    other members stay plain in the stack file); the key secret only for it."""
    if IMAGE_PULL_SECRET in members and not key_is_secret("imagePull"):
        raise error(
            (f"imagePull.{IMAGE_PULL_SECRET}",),
            redaction.Redacted(len(json.dumps(members[IMAGE_PULL_SECRET]))),
            "must be set with `pulumi config set --secret --path imagePull.password <value>`, never as plain config: "
            "only then is it encrypted in the stack file",
        )
    if IMAGE_PULL_SECRET not in members and key_is_secret("imagePull"):
        raise error(
            ("imagePull",),
            members,
            f"is set as a secret (pulumi config set --secret), but only imagePull.password is one: the rest goes to "
            f"{PLAIN}, in plain text; set the other members without --secret",
        )


def reject_undecodable(raw: Mapping[str, Any]) -> None:
    """Text that is not valid Unicode (a lone surrogate from JSON's "\\ud800", or a byte the CLI could
    not decode) cannot be sent to Kubernetes or GitLab, nor encoded at all."""
    for key, value in raw.items():
        for path, text in [(key, key), *leaves(key, value), *names(key, value)]:
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                shown, where = (t.encode("utf-8", "backslashreplace").decode() for t in (text, path))
                raise error((where,), redaction.Sanitized(shown), "must be valid Unicode text (UTF-8)") from None


def names(key: str, value: Any) -> list[tuple[str, str]]:
    """The member names under ``value`` (a setting's name, say), with their key paths."""
    if not isinstance(value, Mapping):
        return []
    found = [(f"{key}[{name!r}]", name) for name in value if isinstance(name, str)]
    return found + [leaf for member, item in value.items() for leaf in names(f"{key}.{member}", item)]


def leaves(key: str, value: Any, named: bool = False) -> list[tuple[str, str]]:
    """Every string under ``value``, with its config key path (``reviewApps.backendUrl``; with
    ``named``, the members are the user's names: ``processes['worker'].args[1]``)."""
    if isinstance(value, Mapping):
        return [
            leaf
            for member, item in value.items()
            for leaf in leaves(f"{key}[{member!r}]" if named else f"{key}.{member}", item)
        ]
    if isinstance(value, list):
        return [leaf for index, item in enumerate(value) for leaf in leaves(f"{key}[{index}]", item)]
    return [(key, value)] if isinstance(value, str) else []
