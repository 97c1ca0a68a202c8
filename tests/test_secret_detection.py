"""What looks like a secret: credentials by their published formats, and names that say their value is one."""

from __future__ import annotations

import base64

import pytest

from gitlab_k8s_cd.components import (
    secret_detection,
)


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("DB_PASSWORD", True),
        ("apiToken", True),
        ("SESSION_SECRET", True),
        ("SECRET_KEY_BASE", True),
        ("settings['API_KEY']", True),
        ("pulumiConfigPasphrase", True),  # a typo of a secret's name
        ("pulumiAcessToken", True),
        ("deployTokenExpiresAt", False),  # about a secret, not one
        ("TOKEN_TTL", False),
        ("PASSWORD_MIN_LENGTH", False),
        ("LOG_LEVEL", False),
        ("keyboard", False),
        ("STRIPE_KEY", True),  # a key, unless it says it is another kind of key
        ("sshKey", True),
        ("storage_key", True),
        ("DB_PWD", True),
        ("kubeconfig", True),
        ("SORT_KEY", False),
        ("PUBLIC_KEY", False),
        ("SECRETARY_EMAIL", False),  # words a typo-tolerant match would take for secrets
        ("SEATS_TAKEN", False),
        ("TESTS_PASSED", False),
        ("PASSWORD_POLICY", False),
    ],
)
def test_secret_looking_name(name, secret):
    assert secret_detection.secret_looking_name(name) is secret


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("glpat-" + "x1" * 10, "a GitLab token"),
        ("gldt-" + "Ab3" * 8, "a GitLab token"),
        ("pul-" + "0a" * 20, "a Pulumi access token"),
        ("AKIA" + "A1B2C3D4E5F6G7H8", "an AWS access key id"),
        ("https://user:pass@example.com/x", "a URL with a password"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nabc", "a private key"),
        (base64.b64encode(b"-----BEGIN RSA PRIVATE KEY-----\nabc").decode(), "the base64 of a private key"),
        ("users:\n- user:\n    token: abc", "a kubeconfig with credentials"),
        ("hello world", None),
        (base64.b64encode(b"-----BEGIN CERTIFICATE-----\n" + b"x" * 40).decode(), None),  # public
        (42, None),
    ],
)
def test_looks_like_credential(value, kind):
    assert secret_detection.looks_like_credential(value) == kind
