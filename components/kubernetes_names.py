"""Kubernetes names: DNS-1123 labels and subdomains, DNS-1035 labels (a Service's), the namespaces
this project may claim, and label selectors, as apimachinery validates them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .redaction import Sanitized
from .validation import InvalidArgument

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


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
    if not isinstance(value, str) or len(value) > 253 or not DNS1123_SUBDOMAIN.match(value):
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


_LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


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
            or (prefix and (len(prefix) > 253 or not DNS1123_SUBDOMAIN.match(prefix)))
        ):
            raise InvalidArgument(
                f"{field}[{key!r}]", Sanitized(str(key)), "must be a label key: [<DNS subdomain>/]<name of at most 63>"
            )
        if not isinstance(item, str) or len(item) > 63 or not _LABEL_VALUE.match(item):
            raise InvalidArgument(
                f"{field}[{key!r}]", item, "must be a label value: at most 63 letters, digits, '-', '_' or '.'"
            )
    return dict(value)
