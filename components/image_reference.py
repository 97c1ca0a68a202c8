"""An OCI image reference, parsed once where it enters (an Args' ``image``) and carried from there.

It imports no Pulumi SDK: the grammar is distribution/reference's, the same for the stack, the
deploy tool (``gitlab_k8s_cd.pipeline.deploy``) and the cleanup tool
(``gitlab_k8s_cd.pipeline.cleanup``), which import it from here; so is the rule for a registry host
(:func:`registry_host`, :func:`host_and_port`), which refuses what the grammar lets through and no
pull could reach. The policy pack's digest rule (``gitlab_k8s_cd.policy.rules.DIGEST``) is a tested
copy: this repository's own pack (``policy/``) runs with pulumi-policy alone installed.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .validation import InvalidArgument

# The reference grammar of github.com/distribution/reference (regexp.go), anchored.
ALNUM = r"[a-z0-9]+"
SEPARATOR = r"(?:[._]|__|[-]+)"
PATH_COMPONENT = rf"{ALNUM}(?:{SEPARATOR}{ALNUM})*"
PATH = rf"{PATH_COMPONENT}(?:/{PATH_COMPONENT})*"
"""A repository's path after its registry (``group/app``): lowercase components joined by '/'."""
DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
DOMAIN = rf"(?:{DOMAIN_COMPONENT}(?:\.{DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
"""A registry host, ``host[:port]`` (``domainAndPort``), an IPv6 address in brackets included."""
TAG = r"[\w][\w.-]{0,127}"
DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
# ASCII: Go's \w is [0-9A-Za-z_]; fullmatch: a trailing newline is not part of any reference.
_IMAGE = re.compile(
    rf"(?P<name>(?:(?P<domain>{DOMAIN})/)?{PATH})(?::(?P<tag>{TAG}))?(?:@(?P<digest>{DIGEST}))?",
    re.ASCII,
)
DIGEST_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
"""The digest algorithms a registry verifies (opencontainers/go-digest), with their hex lengths."""
NAME_TOTAL_LENGTH_MAX = 255
"""distribution/reference's ``NameTotalLengthMax``: a repository name, registry included."""
_EXPECTED = (
    "must be an image reference with a tag or a digest, such as "
    "'registry.example.com/group/app:1.2.3' or 'registry.example.com/group/app@sha256:<64 hex>'"
)


@dataclass(frozen=True)
class ImageReference:
    """``name[:tag][@digest]``, with a tag, a digest or both (never neither: that would mean
    ``:latest``, which makes a deploy unrepeatable). Made by :meth:`parse`."""

    name: str
    """The repository, its registry included: ``registry.gitlab.com/acme/hello``."""
    tag: str | None
    digest: str | None
    """``<algorithm>:<hex>``, an algorithm a registry verifies with its length of lowercase hex."""

    @classmethod
    def parse(cls, field: str, value: Any) -> ImageReference:
        """``value`` parsed, or :class:`InvalidArgument` for ``field``. Each text is parsed once
        per process (the value is immutable): the Args that carry an image, and the Args built from
        them, read the same parse."""
        if not isinstance(value, str) or len(value) > 1024:
            raise InvalidArgument(field, value, _EXPECTED)
        return _parse(field, value)

    def __str__(self) -> str:
        return self.name + (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")

    @property
    def pinned(self) -> bool:
        return self.digest is not None

    @property
    def registry(self) -> str | None:
        """The registry host, by Docker's rule (:func:`registry_of`)."""
        return registry_of(self.name)

    def at(self, digest: str) -> ImageReference:
        """The same reference at another ``digest`` (a rollback's image: its tag, if any, kept as given)."""
        return ImageReference(self.name, self.tag, digest)


@lru_cache(maxsize=256)
def _parse(field: str, value: str) -> ImageReference:
    match = _IMAGE.fullmatch(value)
    if not match or not (match.group("tag") or match.group("digest")):
        raise InvalidArgument(field, value, _EXPECTED)
    if len(match.group("name")) > NAME_TOTAL_LENGTH_MAX:
        raise InvalidArgument(field, value, f"its repository name must be at most {NAME_TOTAL_LENGTH_MAX} characters")
    registry = registry_of(match.group("name"))
    if registry is not None:
        # Docker's rule may take for a registry a first component the grammar read as a path
        # ('reg_istry.example.com'), and the grammar lets through hosts no pull could reach.
        try:
            host_and_port(field, registry)
        except InvalidArgument as error:
            raise InvalidArgument(field, value, f"its registry host {registry!r} {error.expected}") from None
    digest = match.group("digest")
    if digest is not None and not verified_digest(digest):
        raise InvalidArgument(
            field,
            value,
            "its digest must be 'sha256:' and 64 lowercase hex digits (or sha384: and 96, sha512: and 128: "
            "what a registry verifies)",
        )
    return ImageReference(match.group("name"), match.group("tag"), digest)


def image_property(field: str) -> property:
    """An Args' property: its field ``field``, an image's text, parsed. The Args' own
    ``__post_init__`` reads it first, so that a bad image is refused before any resource."""

    def parsed(args: Any) -> ImageReference:
        return ImageReference.parse(field, getattr(args, field))

    return property(parsed, doc=f"``{field}``, parsed (:meth:`ImageReference.parse`).")


def verified_digest(digest: str) -> bool:
    """Whether ``digest`` (``sha256:<hex>``) is one a registry verifies: a known algorithm, its
    length of lowercase hex."""
    algorithm, _, hex_digits = digest.partition(":")
    length = DIGEST_HEX_LENGTHS.get(algorithm)
    return length is not None and re.fullmatch(rf"[0-9a-f]{{{length}}}", hex_digits) is not None


_HOST = re.compile(DOMAIN, re.ASCII)


def registry_of(name: str) -> str | None:
    """The registry host of a repository name (``registry.gitlab.com/acme/hello``), by Docker's
    rule: its first component, if a path follows and it has a '.' or a ':', or is ``localhost``
    (distribution/reference ``normalize.go`` ``splitDockerDomain``; docs/contracts.md CR-4). None:
    Docker Hub's."""
    first, _, rest = name.partition("/")
    return first if rest and _names_a_registry(first) else None


def _names_a_registry(first: str) -> bool:
    return "." in first or ":" in first or first == "localhost"


def host_and_port(field: str, value: Any) -> str:
    """A host as the reference grammar writes a registry's (``domainAndPort``): a host name, an
    IPv4 address or a bracketed IPv6 address, with an optional port. The grammar takes any digits
    for a port and any hex digits and colons in brackets for an IPv6 address, which no client could
    reach (docs/contracts.md CR-4): the port must be from 1 to 65535, the IPv6 address must parse.
    Whether it names a registry in an image is :func:`registry_host`'s rule."""
    if not isinstance(value, str) or len(value) > NAME_TOTAL_LENGTH_MAX or not _HOST.fullmatch(value):
        raise InvalidArgument(
            field, value, "must be a host name, an IPv4 address or a bracketed IPv6 address, with an optional port"
        )
    name, port = value, None
    if not value.endswith("]") and ":" in value:
        name, _, port = value.rpartition(":")
    if port is not None and not 1 <= int(port) <= 65535:
        raise InvalidArgument(field, value, "must have a port from 1 to 65535, if any")
    if name.startswith("["):
        try:
            ipaddress.IPv6Address(name[1:-1])
        except ValueError:
            raise InvalidArgument(field, value, "must be an IPv6 address that parses, if in brackets") from None
    return value


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
    if not _HOST.fullmatch(value) or not _names_a_registry(value):
        raise InvalidArgument(field, value, expected)
    return host_and_port(field, value)
