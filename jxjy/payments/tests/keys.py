"""RSA test keys, generated once per test session, and helpers to sign fixtures the way a gateway would.

Keys are named by role: "alipay-app" (our app key at Alipay), "alipay" (Alipay's own key), "wechat-merchant"
(our merchant key at WeChat Pay), "wechat-platform" (WeChat Pay's platform key) and "stranger" (a forger).
"""

import base64
import functools

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


@functools.cache
def private_key(name: str) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def private_pem(name: str, fmt: str = "pkcs8") -> str:
    formats = {
        "pkcs8": serialization.PrivateFormat.PKCS8,
        "pkcs1": serialization.PrivateFormat.TraditionalOpenSSL,
    }
    return (
        private_key(name)
        .private_bytes(serialization.Encoding.PEM, formats[fmt], serialization.NoEncryption())
        .decode("ascii")
    )


@functools.cache
def public_pem(name: str) -> str:
    return (
        private_key(name)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def pem_body(pem: str) -> str:
    """The base64 body of a PEM, without the BEGIN/END lines and line breaks (Alipay's key tool format)."""
    return "".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))


def sign(name: str, message: bytes | str) -> str:
    """base64 SHA256withRSA (PKCS#1 v1.5) of `message` with the named key."""
    if isinstance(message, str):
        message = message.encode("utf-8")
    return base64.b64encode(private_key(name).sign(message, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")


def verify(name: str, message: bytes | str, signature: str) -> bool:
    """True when `signature` is the named key's SHA256withRSA signature of `message`."""
    if isinstance(message, str):
        message = message.encode("utf-8")
    try:
        private_key(name).public_key().verify(base64.b64decode(signature), message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def alipay_sign_string(params: dict, exclude=("sign",)) -> str:
    """Alipay's string to sign, written independently: sorted by name, non-empty raw values, `k=v` joined by &."""
    keys = sorted(k for k, v in params.items() if k not in exclude and v is not None and v != "")
    return "&".join(k + "=" + str(params[k]) for k in keys)
