"""Field encryption (AES-256-GCM) and keyed blind indexes for sensitive personal information.

Keys come from settings (the environment), never the database. A ciphertext is
`v<key number>:<base64(nonce | ciphertext | tag)>`, bound to its purpose by the
associated data, so an ID number cannot be pasted into a mobile column.
"""

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings


class DecryptionError(ValueError):
    pass


def _keys() -> list[bytes]:
    keys = [base64.b64decode(key) for key in settings.FIELD_ENCRYPTION_KEYS]
    for key in keys:
        if len(key) != 32:
            raise ValueError("FIELD_ENCRYPTION_KEYS entries must be base64 of 32 bytes")
    return keys


def encrypt(plaintext: str, purpose: str) -> str:
    """Encrypt with the first (current) key."""
    nonce = os.urandom(12)
    sealed = AESGCM(_keys()[0]).encrypt(nonce, plaintext.encode(), purpose.encode())
    version = len(settings.FIELD_ENCRYPTION_KEYS)
    return f"v{version}:" + base64.b64encode(nonce + sealed).decode()


def decrypt(token: str, purpose: str) -> str:
    version, _, payload = token.partition(":")
    keys = _keys()
    try:
        key = keys[len(keys) - int(version[1:])]
        raw = base64.b64decode(payload)
        return AESGCM(key).decrypt(raw[:12], raw[12:], purpose.encode()).decode()
    except Exception as exc:
        raise DecryptionError("cannot decrypt field") from exc


def blind_index(value: str, purpose: str) -> str:
    """HMAC-SHA256 of the canonical value under a secret key: equality lookups without plaintext."""
    key = hashlib.sha256(f"{settings.BLIND_INDEX_KEY}|{purpose}".encode()).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
