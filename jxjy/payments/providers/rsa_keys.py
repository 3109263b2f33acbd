"""RSA keys from settings and SHA256withRSA signatures, shared by the 支付宝 and 微信支付 providers."""

import base64
import binascii
import functools

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.core.exceptions import ImproperlyConfigured


def _pem(text: str, label: str) -> bytes:
    """PEM bytes from a setting: real PEM, PEM with literal `\\n`, or the bare base64 body Alipay's tool prints."""
    text = text.replace("\\n", "\n").strip()
    if "-----BEGIN" not in text:
        body = "".join(text.split())
        lines = [body[i : i + 64] for i in range(0, len(body), 64)]
        text = f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"
    return text.encode("ascii", errors="replace")


@functools.lru_cache(maxsize=8)
def load_private_key(text: str, setting_name: str) -> rsa.RSAPrivateKey:
    """An RSA private key (PKCS#8 or PKCS#1, PEM or bare base64); ImproperlyConfigured names only the setting."""
    candidates = [_pem(text, "PRIVATE KEY")]
    if "-----BEGIN" not in text:
        candidates.append(_pem(text, "RSA PRIVATE KEY"))
    for data in candidates:
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            continue
        if isinstance(key, rsa.RSAPrivateKey):
            return key
    raise ImproperlyConfigured(f"{setting_name} 不是有效的 RSA 私钥（PEM 格式）")


@functools.lru_cache(maxsize=8)
def load_public_key(text: str, setting_name: str) -> rsa.RSAPublicKey:
    """An RSA public key (SubjectPublicKeyInfo PEM, bare base64, or an X.509 certificate PEM)."""
    data = _pem(text, "PUBLIC KEY")
    key = None
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            key = x509.load_pem_x509_certificate(data).public_key()
        else:
            key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        key = None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ImproperlyConfigured(f"{setting_name} 不是有效的 RSA 公钥（PEM 格式）")
    return key


def rsa2_sign(private_key: rsa.RSAPrivateKey, message: bytes) -> str:
    """SHA256withRSA (PKCS#1 v1.5), base64: Alipay's RSA2 and WeChat Pay v3 alike."""
    signature = private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def rsa2_verify(public_key: rsa.RSAPublicKey, message: bytes, signature: str) -> bool:
    """Whether `signature` (base64) is the SHA256withRSA signature of `message`; malformed base64 is a no."""
    try:
        raw = base64.b64decode(signature, validate=True)
        public_key.verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
    except (binascii.Error, ValueError, TypeError, InvalidSignature):
        return False
    return True
