"""How a value may appear in an error message: whole, cut when long, or, when it or its field
looks secret, only its length."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .secret_detection import holds_a_secret, secret_looking_name


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


SHOWN_MAX = 512
"""The longest value a message quotes whole; a longer one is cut (its length is said)."""


def shown(field: str, value: Any) -> Any:
    """``value`` as an error message may show it for ``field``: redacted when either looks secret,
    cut when it is long."""
    if isinstance(value, (Redacted, Sanitized)) or value is None:
        return value
    if secret_looking_name(field) or holds_a_secret(value):
        return Redacted(len(str(value)))
    if isinstance(value, str) and len(value) > SHOWN_MAX:
        return Sanitized(f"{value[:80]}... ({len(value)} characters)")
    return value
