"""The error every rule raises, and the generic rules (integers, booleans, choices, lines of text,
dates, a deploy's trace) shared by every Args dataclass and by the config loader.

Each rule raises :class:`InvalidArgument`, which knows the field (or fields) it is about,
the value given and what was expected. ``gitlab_k8s_cd.components.config`` re-raises it under the name of
the stack-config key that supplied the field, so a user reads ``gitlab-k8s-cd:replicas``
where a library user reads ``replicas``.

The rules of one domain live in its own module (:mod:`.kubernetes_names`, :mod:`.quantities`,
:mod:`.container_inputs`, :mod:`.image_reference`, :mod:`.endpoints`, :mod:`.gitlab_rules`,
:mod:`.schedules`). They follow the upstream grammars (Kubernetes apimachinery, the OCI
distribution reference grammar, GitLab's variable and masking rules), so the plan refuses what the
API server or GitLab would refuse, with our message instead of theirs.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .redaction import shown


class InvalidArgument(ValueError):
    """A value that a rule refused.

    ``fields`` names the argument(s) at fault, ``values`` what was given for each, and
    ``expected`` says what is allowed. ``str(error)`` reads
    ``"max_surge and max_unavailable: cannot both be 0 (got 0 and 0)"``.

    A value is never shown when it looks like a credential, or when its field's name looks like
    a secret's (typos included): the message then shows its length (:func:`gitlab_k8s_cd.components.redaction.shown`).
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


def one_line(field: str, value: Any, *, max_length: int, required: bool = False) -> str:
    """One line of text of at most ``max_length`` characters."""
    if not isinstance(value, str) or any(c in value for c in "\r\n\0") or (required and not value.strip()):
        raise InvalidArgument(field, value, "must be a single line of text" + (", not empty" if required else ""))
    if len(value) > max_length:
        raise InvalidArgument(field, value, f"must be at most {max_length} characters")
    return value


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


def one_of(field: str, value: Any, allowed: Sequence[Any]) -> Any:
    if isinstance(value, bool) or value not in allowed:
        raise InvalidArgument(field, value, f"must be one of {', '.join(repr(a) for a in allowed)}")
    return value


def renamed(build: Any, names: Mapping[str, str]) -> Any:
    """Call ``build()`` and rename the fields of any InvalidArgument it raises (``name`` -> ``namespace``)."""
    try:
        return build()
    except InvalidArgument as error:
        fields = tuple(_rename(f, names) for f in error.fields)
        values = error.values if len(fields) > 1 else error.values[0]
        raise InvalidArgument(fields, values, error.expected) from None


def _rename(field_path: str, names: Mapping[str, str]) -> str:
    # The head's own name, without an index it carries ("environments[1]" is "environments").
    head, dot, rest = field_path.partition(".")
    name, bracket, index = head.partition("[")
    return names.get(name, name) + bracket + index + dot + rest
