"""A test-only reimplementation of the Pulumi CLI's passphrase secrets provider.

The Pulumi CLI is not installed here, so the tests cannot ask it to decrypt the stack file's
``secure:`` values. This module does what the CLI does, as read at its source, pulumi/pulumi
commit 1b5949891b3cefcb9974752b24a5ecef0acc86c8:

- key: PBKDF2-HMAC-SHA256 of the passphrase with the stack's salt, 1,000,000 iterations,
  32 bytes (sdk/go/common/resource/config/crypt.go:168, :173);
- cipher: AES-256-GCM with a fresh random 12-byte nonce, no additional data, the 16-byte tag
  appended to the ciphertext by Go's ``Seal`` (crypt.go:232-248);
- value: ``v1:<base64 nonce>:<base64 ciphertext+tag>``, standard padded base64 (crypt.go:181-182,
  parsed back at crypt.go:189-224);
- ``encryptionsalt``: ``v1:<base64 8-byte salt>:<the value "pulumi" encrypted with that key>``
  (pkg/secrets/passphrase/manager.go:165, :174, :178); a passphrase is accepted only if that
  value decrypts to ``pulumi`` (manager.go:48-73).

AES-256-GCM is ``cryptography``'s ``AESGCM`` (a test dependency, pinned in requirements-dev.txt);
PBKDF2 is :func:`hashlib.pbkdf2_hmac`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ITERATIONS = 1_000_000
"""PBKDF2 iterations (crypt.go:168)."""
KEY_BYTES = 32
"""AES-256 (crypt.go:173)."""
SALT_BYTES = 8
"""The salt ``NewPassphraseSecretsManager`` draws (manager.go:165)."""
NONCE_BYTES = 12
"""The GCM nonce ``encryptAES256GCGM`` draws (crypt.go:235)."""
TAG_BYTES = 16
"""Go's ``cipher.NewGCM`` tag size, appended to the ciphertext by ``Seal``."""
CHECK_PLAINTEXT = "pulumi"
"""What the ``encryptionsalt`` value's ciphertext must decrypt to (manager.go:67, :174)."""


class DecryptionError(ValueError):
    """A ``v1:`` value that is malformed or whose GCM tag does not verify under the key."""


class IncorrectPassphraseError(ValueError):
    """The passphrase does not decrypt the ``encryptionsalt`` check value (manager.go:42, :67-69)."""


def aes_gcm_seal(key: bytes, nonce: bytes, plaintext: bytes) -> bytes:
    """Go's ``gcm.Seal(nil, nonce, plaintext, nil)``: the ciphertext with the tag appended."""
    return AESGCM(key).encrypt(nonce, plaintext, None)


def aes_gcm_open(key: bytes, nonce: bytes, sealed: bytes) -> bytes:
    """Go's ``gcm.Open``: the plaintext, or :class:`DecryptionError` when the tag does not verify."""
    if len(nonce) != NONCE_BYTES or len(sealed) < TAG_BYTES:
        raise DecryptionError("malformed value")
    try:
        return AESGCM(key).decrypt(nonce, sealed, None)
    except InvalidTag:
        raise DecryptionError("message authentication failed") from None


def derive_key(passphrase: str, salt: bytes) -> bytes:
    """``pbkdf2.Key(phrase, salt, 1000000, 32, sha256.New)`` (crypt.go:168); cached, it takes ~1 s."""
    return hashlib.pbkdf2_hmac("sha256", passphrase.encode(), salt, ITERATIONS, KEY_BYTES)


def _b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as err:
        raise DecryptionError(f"bad value: {err}") from err


def encrypt_value(key: bytes, plaintext: str, nonce: bytes | None = None) -> str:
    """``symmetricCrypter.EncryptValue``: ``v1:<base64 nonce>:<base64 ciphertext+tag>`` (crypt.go:179-183)."""
    nonce = os.urandom(NONCE_BYTES) if nonce is None else nonce
    sealed = aes_gcm_seal(key, nonce, plaintext.encode())
    return f"v1:{base64.b64encode(nonce).decode()}:{base64.b64encode(sealed).decode()}"


def decrypt_value(key: bytes, value: str) -> str:
    """``symmetricCrypter.DecryptValue`` (crypt.go:189-224)."""
    parts = value.split(":")
    if len(parts) != 3:
        raise DecryptionError("bad value")
    if parts[0] != "v1":
        raise DecryptionError("unknown value version")
    return aes_gcm_open(key, _b64decode(parts[1]), _b64decode(parts[2])).decode()


def split_encryption_salt(state: str) -> tuple[bytes, str]:
    """The salt and the check value of an ``encryptionsalt`` (manager.go:49-66)."""
    parts = state.split(":", 2)
    if len(parts) != 3:
        raise ValueError("malformed state value")
    if parts[0] != "v1":
        raise ValueError("unknown state version")
    return _b64decode(parts[1]), parts[2]


def new_encryption_salt(passphrase: str, salt: bytes | None = None) -> str:
    """A new ``encryptionsalt``, as ``NewPassphraseSecretsManager`` makes it (manager.go:163-178)."""
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    check = encrypt_value(derive_key(passphrase, salt), CHECK_PLAINTEXT)
    return f"v1:{base64.b64encode(salt).decode()}:{check}"


def key_from_encryption_salt(passphrase: str, state: str) -> bytes:
    """The key for ``passphrase``, checked as ``symmetricCrypterFromPhraseAndState`` does (manager.go:48-73)."""
    salt, check = split_encryption_salt(state)
    key = derive_key(passphrase, salt)
    try:
        if decrypt_value(key, check) == CHECK_PLAINTEXT:
            return key
    except DecryptionError:
        pass
    raise IncorrectPassphraseError("incorrect passphrase")
