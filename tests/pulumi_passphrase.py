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

``cryptography`` is not in the project's venv, so AES-256 and GCM are written out below in plain
Python (FIPS 197, NIST SP 800-38D); PBKDF2 is :func:`hashlib.pbkdf2_hmac`. They are slow but
the values are a few bytes long. With ``cryptography`` available, ``AESGCM`` would replace them.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os

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


# --- AES-256 (FIPS 197), the forward cipher only: GCM never uses the inverse. ---


def _xtime(a: int) -> int:
    a <<= 1
    return (a ^ 0x11B) if a & 0x100 else a


def _make_sbox() -> bytes:
    # Multiplicative inverses in GF(2^8) from the powers of the generator 3.
    exp, log = [0] * 255, [0] * 256
    x = 1
    for i in range(255):
        exp[i], log[x] = x, i
        x ^= _xtime(x)
    inverse = [0] + [exp[(255 - log[a]) % 255] for a in range(1, 256)]
    sbox = bytearray(256)
    for a in range(256):
        x = inverse[a]
        rotated = x
        for shift in range(1, 5):
            rotated ^= ((x << shift) | (x >> (8 - shift))) & 0xFF
        sbox[a] = rotated ^ 0x63
    return bytes(sbox)


_SBOX = _make_sbox()
_ROUNDS = 14


def _expand_key(key: bytes) -> list[bytes]:
    """The 15 round keys of AES-256."""
    if len(key) != KEY_BYTES:
        raise ValueError("AES-256-GCM needs a 32 byte key")
    words = [list(key[i : i + 4]) for i in range(0, 32, 4)]
    rcon = 1
    for i in range(8, 4 * (_ROUNDS + 1)):
        temp = list(words[i - 1])
        if i % 8 == 0:
            temp = [_SBOX[b] for b in temp[1:] + temp[:1]]
            temp[0] ^= rcon
            rcon = _xtime(rcon)
        elif i % 8 == 4:
            temp = [_SBOX[b] for b in temp]
        words.append([w ^ t for w, t in zip(words[i - 8], temp, strict=True)])
    return [bytes(b for word in words[4 * r : 4 * r + 4] for b in word) for r in range(_ROUNDS + 1)]


def _encrypt_block(round_keys: list[bytes], block: bytes) -> bytes:
    state = [b ^ k for b, k in zip(block, round_keys[0], strict=True)]
    for r in range(1, _ROUNDS + 1):
        state = [_SBOX[b] for b in state]
        # ShiftRows: the state is column-major, byte (row, col) at index 4 * col + row.
        state = [state[4 * ((col + row) % 4) + row] for col in range(4) for row in range(4)]
        if r != _ROUNDS:
            mixed = []
            for col in range(4):
                a0, a1, a2, a3 = state[4 * col : 4 * col + 4]
                mixed += [
                    _xtime(a0) ^ _xtime(a1) ^ a1 ^ a2 ^ a3,
                    a0 ^ _xtime(a1) ^ _xtime(a2) ^ a2 ^ a3,
                    a0 ^ a1 ^ _xtime(a2) ^ _xtime(a3) ^ a3,
                    _xtime(a0) ^ a0 ^ a1 ^ a2 ^ _xtime(a3),
                ]
            state = mixed
        state = [b ^ k for b, k in zip(state, round_keys[r], strict=True)]
    return bytes(state)


# --- GCM (NIST SP 800-38D) with a 96-bit IV, no additional data, a 128-bit tag. ---

_R = 0xE1 << 120


def _ghash_mul(x: int, y: int) -> int:
    z, v = 0, y
    for i in range(127, -1, -1):
        if (x >> i) & 1:
            z ^= v
        v = (v >> 1) ^ _R if v & 1 else v >> 1
    return z


def _ghash(h: int, data: bytes) -> int:
    y = 0
    for i in range(0, len(data), 16):
        y = _ghash_mul(y ^ int.from_bytes(data[i : i + 16], "big"), h)
    return y


def _gctr(round_keys: list[bytes], counter: int, data: bytes) -> bytes:
    out = bytearray()
    for i in range(0, len(data), 16):
        keystream = _encrypt_block(round_keys, counter.to_bytes(16, "big"))
        out += bytes(a ^ b for a, b in zip(data[i : i + 16], keystream, strict=False))
        counter = (counter & ~0xFFFFFFFF) | ((counter + 1) & 0xFFFFFFFF)
    return bytes(out)


def _tag(round_keys: list[bytes], j0: int, ciphertext: bytes) -> bytes:
    h = int.from_bytes(_encrypt_block(round_keys, bytes(16)), "big")
    padded = ciphertext + bytes(-len(ciphertext) % 16)
    lengths = (0).to_bytes(8, "big") + (8 * len(ciphertext)).to_bytes(8, "big")
    s = _ghash(h, padded + lengths)
    return _gctr(round_keys, j0, s.to_bytes(16, "big"))


def aes_gcm_seal(key: bytes, nonce: bytes, plaintext: bytes) -> bytes:
    """AES-256-GCM ciphertext followed by its tag, as Go's ``aesgcm.Seal(nil, nonce, plaintext, nil)``."""
    if len(nonce) != NONCE_BYTES:
        raise ValueError("nonce size is incorrect")
    round_keys = _expand_key(key)
    j0 = int.from_bytes(nonce + b"\x00\x00\x00\x01", "big")
    ciphertext = _gctr(round_keys, j0 + 1, plaintext)
    return ciphertext + _tag(round_keys, j0, ciphertext)


def aes_gcm_open(key: bytes, nonce: bytes, sealed: bytes) -> bytes:
    """The plaintext of :func:`aes_gcm_seal`'s output; :class:`DecryptionError` if the tag does not verify."""
    if len(nonce) != NONCE_BYTES:
        raise DecryptionError("bad value: nonce size is incorrect")
    if len(sealed) < TAG_BYTES:
        raise DecryptionError("bad value: too short")
    round_keys = _expand_key(key)
    j0 = int.from_bytes(nonce + b"\x00\x00\x00\x01", "big")
    ciphertext, tag = sealed[:-TAG_BYTES], sealed[-TAG_BYTES:]
    if not hmac.compare_digest(_tag(round_keys, j0, ciphertext), tag):
        raise DecryptionError("cipher: message authentication failed")
    return _gctr(round_keys, j0 + 1, ciphertext)


# --- Pulumi's symmetric crypter and passphrase secrets manager. ---


@functools.lru_cache(maxsize=16)
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
