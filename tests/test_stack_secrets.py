"""The staging stack file's secrets decrypt, with the tests' passphrase, to what the tests hand the program.

The Pulumi CLI is not installed here, so these tests decrypt with :mod:`tests.pulumi_passphrase`, a
reimplementation of the CLI's passphrase secrets provider read at its source (pulumi/pulumi commit
1b5949891b3cefcb9974752b24a5ecef0acc86c8: pkg/secrets/passphrase/manager.go and
sdk/go/common/resource/config/crypt.go). It is a stand-in, not the CLI: it is checked against a value the
real implementation wrote (the passphrase manager's own test state), not against ``pulumi config get``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from gitlab_k8s_cd.components.config import NAMESPACE
from tests import pulumi_passphrase as pp
from tests.conftest import APP_SECRETS, PASSPHRASE, ROOT

STACK_FILE = yaml.safe_load((ROOT / "Pulumi.staging.yaml").read_text())
VALUE_FORMAT = re.compile(r"^v1:[A-Za-z0-9+/]{16}:(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$")
"""``v1:<base64 12-byte nonce>:<base64 ciphertext+tag>`` (crypt.go:181-182)."""

# pkg/secrets/passphrase/manager_test.go:29 at that commit: a state the Go implementation wrote for "password".
PULUMI_TEST_STATE = "v1:fozI5u6B030=:v1:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ=="


@pytest.fixture(scope="module")
def stack_key() -> bytes:
    """The staging stack's key for the tests' passphrase (PBKDF2, 1,000,000 rounds: derived once)."""
    return pp.key_from_encryption_salt(PASSPHRASE, STACK_FILE["encryptionsalt"])


def secure_values(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    """Every ``{secure: <ciphertext>}`` in the config tree, with its path (object.go:393, :533)."""
    if isinstance(node, dict):
        if set(node) == {"secure"}:
            yield path, node["secure"]
            return
        for k, v in node.items():
            yield from secure_values(v, (*path, str(k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from secure_values(v, (*path, str(i)))


def test_encryption_salt_holds_a_salt_and_the_check_value(stack_key: bytes) -> None:
    """``v1:<base64 8-byte salt>:<"pulumi" encrypted>`` (manager.go:165, :174, :178)."""
    salt, check = pp.split_encryption_salt(STACK_FILE["encryptionsalt"])
    assert len(salt) == pp.SALT_BYTES
    assert VALUE_FORMAT.match(check)
    assert pp.decrypt_value(stack_key, check) == pp.CHECK_PLAINTEXT == "pulumi"


def test_every_secure_value_decrypts_to_the_tests_app_secret(stack_key: bytes) -> None:
    found = dict(secure_values(STACK_FILE["config"]))
    assert found, "the stack file has no secure values"
    names = {}
    for path, ciphertext in found.items():
        assert VALUE_FORMAT.match(ciphertext), path
        assert len(path) == 2 and path[0] == f"{NAMESPACE}:secrets", f"a secure value outside secrets: {path}"
        names[path[1]] = pp.decrypt_value(stack_key, ciphertext)
    assert names == APP_SECRETS


def test_reads_a_state_the_go_implementation_wrote() -> None:
    """A known answer: Pulumi's own passphrase-manager test state, for the passphrase ``password``."""
    key = pp.key_from_encryption_salt("password", PULUMI_TEST_STATE)
    assert pp.decrypt_value(key, PULUMI_TEST_STATE.split(":", 2)[2]) == "pulumi"


def test_round_trip(stack_key: bytes) -> None:
    for plaintext in ["", "x", "staging-db-password-for-tests", "ünïcode ✓ " * 20]:
        first, second = pp.encrypt_value(stack_key, plaintext), pp.encrypt_value(stack_key, plaintext)
        assert VALUE_FORMAT.match(first)
        assert first != second, "each value gets a fresh nonce"
        assert pp.decrypt_value(stack_key, first) == pp.decrypt_value(stack_key, second) == plaintext


def test_a_new_encryption_salt_accepts_its_passphrase_only() -> None:
    state = pp.new_encryption_salt(PASSPHRASE, salt=bytes(8))
    assert state.startswith("v1:AAAAAAAAAAA=:v1:")
    assert pp.key_from_encryption_salt(PASSPHRASE, state) == pp.derive_key(PASSPHRASE, bytes(8))


def test_a_wrong_passphrase_is_refused(stack_key: bytes) -> None:
    with pytest.raises(pp.IncorrectPassphraseError, match="incorrect passphrase"):
        pp.key_from_encryption_salt("wrong-horse-battery-staple", STACK_FILE["encryptionsalt"])
    salt, _ = pp.split_encryption_salt(STACK_FILE["encryptionsalt"])
    wrong_key = pp.derive_key("wrong-horse-battery-staple", salt)
    ciphertext = STACK_FILE["config"][f"{NAMESPACE}:secrets"]["DB_PASSWORD"]["secure"]
    with pytest.raises(pp.DecryptionError, match="authentication failed"):
        pp.decrypt_value(wrong_key, ciphertext)


def test_a_tampered_or_malformed_value_is_refused(stack_key: bytes) -> None:
    value = pp.encrypt_value(stack_key, "secret")
    version, nonce, sealed = value.split(":")
    flipped = sealed[:-4] + ("AAAA" if sealed[-4:] != "AAAA" else "BBBB")
    for bad in [f"{version}:{nonce}:{flipped}", f"v2:{nonce}:{sealed}", f"v1:{nonce}", f"v1:AAAA:{sealed}", "v1:!:!"]:
        with pytest.raises(pp.DecryptionError):
            pp.decrypt_value(stack_key, bad)
