"""The platform's Ed25519 signature over a certificate's content.

The signed bytes are the content's canonical JSON: keys sorted, no spaces, UTF-8 (not \\u escapes). Anyone
with the public key can check a certificate from the PDF alone: its Subject is that JSON, its Keywords the
signature."""

import base64
import binascii
import json
from functools import cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings


def canonical_json(content: dict) -> bytes:
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


@cache
def _private_key(encoded: str) -> Ed25519PrivateKey:
    raw = base64.b64decode(encoded)
    if len(raw) != 32:
        raise ValueError("CERTIFICATE_SIGNING_KEY must be base64 of 32 raw bytes")
    return Ed25519PrivateKey.from_private_bytes(raw)


def private_key() -> Ed25519PrivateKey:
    return _private_key(settings.CERTIFICATE_SIGNING_KEY)


def public_key() -> Ed25519PublicKey:
    return private_key().public_key()


def public_key_base64() -> str:
    """The raw 32-byte public key, base64: what a third party needs to check a certificate."""
    return base64.b64encode(public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def sign(content: dict) -> str:
    return base64.b64encode(private_key().sign(canonical_json(content))).decode()


def verify(content: dict, signature: str, key: Ed25519PublicKey | None = None) -> bool:
    """Whether `signature` (base64) is the platform's over exactly this content."""
    try:
        raw = base64.b64decode(signature, validate=True)
        (key or public_key()).verify(raw, canonical_json(content))
    except (InvalidSignature, binascii.Error, ValueError, TypeError):
        return False
    return True
