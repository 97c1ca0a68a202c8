"""How a server is reached and trusted: absolute URLs (never with credentials in them) and a
kubeconfig's CA certificate."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

from .kubernetes_names import DNS1123_SUBDOMAIN
from .redaction import Sanitized
from .secret_detection import looks_like_credential, secret_looking_name
from .validation import InvalidArgument


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
    if parts.scheme in ("https", "http") and not (_is_ip_literal(host) or DNS1123_SUBDOMAIN.match(host)):
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
