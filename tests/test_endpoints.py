"""URLs (never with credentials) and a kubeconfig's CA certificate."""

from __future__ import annotations

import base64

import pytest

from gitlab_k8s_cd.components import (
    endpoints,
)
from gitlab_k8s_cd.components.validation import InvalidArgument


def test_https_url_rejects_other_schemes_and_whitespace():
    assert endpoints.absolute_url("url", "https://example.com/x") == "https://example.com/x"
    for bad in ["http://example.com", "https://", "example.com", "https://exa mple.com", "https://x\n.com"]:
        with pytest.raises(InvalidArgument, match=r"^url: must be an absolute https:// URL"):
            endpoints.absolute_url("url", bad)


def test_pem_certificate_base64_wants_base64_of_a_certificate():
    good = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n").decode()
    assert endpoints.pem_certificate_base64("ca", good) == good
    for bad in ["not base64!", base64.b64encode(b"hello").decode()]:
        with pytest.raises(InvalidArgument, match=r"^ca: must be the base64 of a PEM certificate"):
            endpoints.pem_certificate_base64("ca", bad)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://user:pa55@example.com/x",
            r"must not carry credentials .* \(got 'https://\[secret\]@example.com/x'\)",
        ),
        ("https://example.com:0", r"port from 1 to 65535"),
        ("https://example.com:70000", r"port from 1 to 65535"),
        ("https://example.com:http", r"port from 1 to 65535"),
        ("https://exa_mple.com", r"valid host name"),
        ("https://example.com/" + "x" * 300, r"at most 255 characters"),
    ],
)
def test_absolute_url_refuses_credentials_bad_ports_bad_hosts_and_long_urls(url, expected):
    with pytest.raises(InvalidArgument, match=expected) as caught:
        endpoints.absolute_url("url", url, max_length=255)
    assert "pa55" not in str(caught.value)


def test_absolute_url_takes_ips_ports_and_paths():
    for url in ("https://10.0.0.1:6443", "https://[2001:db8::1]:6443/k8s", "https://gitlab.example.com/gitlab"):
        assert endpoints.absolute_url("url", url) == url


@pytest.mark.parametrize(
    ("url", "leak"),
    [
        ("http://T0kenValue9@host.example.com", "T0kenValue9"),  # refused for its scheme too: never echoed
        ("https://T0kenValue9@gitlab.example.com", "T0kenValue9"),
        ("https://hello.example.com/?token=abc123xyz", "abc123xyz"),
        ("azblob://state?storage_account=acme&storage_key=abcd1234abcd1234", "abcd1234abcd1234"),
        ("https://gitlab.example.com/?x=glpat-" + "Zx9" * 7, "Zx9Zx9"),
    ],
)
def test_a_url_with_credentials_is_refused_first_and_shown_without_them(url, leak):
    with pytest.raises(InvalidArgument, match=r"must not carry credentials") as caught:
        endpoints.absolute_url("url", url, schemes=("https", "azblob"))
    assert leak not in str(caught.value)
    assert "[secret]" in str(caught.value)


def test_a_url_keeps_its_ordinary_query():
    url = "s3://acme?region=eu-west-1&endpoint=minio.example.com"
    assert endpoints.absolute_url("url", url, schemes=("s3",)) == url
    assert endpoints.without_credentials(url) == url


def test_a_base_url_has_no_query_nor_fragment():
    for url in ("https://gitlab.example.com/?a=1", "https://gitlab.example.com/#x"):
        with pytest.raises(InvalidArgument, match=r"must be a base URL"):
            endpoints.absolute_url("url", url, base_only=True)
    assert endpoints.absolute_url("url", "https://example.com/gitlab", base_only=True)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://gitlab.com/#token=s3cr3tVALUE", "https://gitlab.com/#token=[secret]"),
        ("https://h.example.com/;token=s3cr3tVALUE", "https://h.example.com/;token=[secret]"),
        ("s3://b?region=x;secret=s3cr3tVALUE", "s3://b?region=x;secret=[secret]"),
        ("https://b.example.com/c?sv=1&sig=s3cr3tVALUE", "https://b.example.com/c?sv=1&sig=[secret]"),
    ],
)
def test_credentials_in_a_fragment_or_a_matrix_parameter_are_found_too(url, shown):
    assert endpoints.without_credentials(url) == shown
