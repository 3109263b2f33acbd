"""Outbound HTTPS to the outside systems the platform calls (支付宝, 微信支付, 阿里云短信).

One request at a time over urllib: https only, a timeout on every call, no redirect followed (a 3xx could lead off
https or carry a signed Authorization header to another host), a reply of at most MAX_REPLY_BYTES. Every reply that
arrives is returned as a `Response`, error statuses included, since each gateway puts its error code in the body;
only a request that got no usable reply raises `RequestFailed`, which the caller turns into its own error
(GatewayError, SmsError).

Callers put parameters in the body or in signed headers, never in the URL, so the reason a request failed (which
may name the host) carries no key, signature or personal detail, and neither does anything logged here.
"""

import http.client
import logging
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

FORM = "application/x-www-form-urlencoded; charset=utf-8"
MAX_REPLY_BYTES = 1024 * 1024  # a gateway's JSON reply is a few kilobytes

# Codes and ids look like "ACQ.TRADE_NOT_EXIST" or "900619746936498440^0"; anything else is not echoed.
_SAFE_TOKEN = re.compile(r"[A-Za-z0-9._:^-]{1,100}")


class RequestFailed(Exception):
    """No usable reply: the host could not be reached, the connection or TLS failed, the timeout passed, or the
    reply was not HTTP or too large."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict  # header names in lower case
    body: bytes


def is_https(url: str) -> bool:
    return str(url).lower().startswith("https://")


def require_https(url: str, setting_name: str) -> str:
    """`url` (setting `setting_name`) when it is https://, else ImproperlyConfigured naming only the setting."""
    if not is_https(url):
        raise ImproperlyConfigured(f"{setting_name} 必须是 https:// 开头的地址")
    return url


def safe_token(value) -> str:
    """A code or id from an outside system's reply, fit for a log line or an exception; anything else becomes "?"."""
    text = str(value) if value is not None else ""
    return text if _SAFE_TOKEN.fullmatch(text) else "?"


def request(method: str, url: str, *, body: bytes | None = None, headers=None, timeout: float) -> Response:
    """One HTTPS exchange. A plain http:// (or any other) URL is refused before anything is sent."""
    if not is_https(url):
        raise ValueError("only https:// URLs are requested")
    outgoing = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))  # noqa: S310
    host = urlsplit(url).netloc
    try:
        with urlopen(outgoing, timeout) as reply:
            return Response(reply.status, _lower(reply.headers), _read(reply))
    except urllib.error.HTTPError as exc:
        # A status of 300 or more (a redirect is not followed): the body is the gateway's answer all the same.
        try:
            return Response(exc.code, _lower(exc.headers), _read(exc))
        except (OSError, http.client.HTTPException, RequestFailed) as error:
            raise _failed(method, host, error) from None
        finally:
            exc.close()
    except (urllib.error.URLError, OSError, http.client.HTTPException, RequestFailed) as exc:
        raise _failed(method, host, exc) from None


def post_form(url: str, body: bytes, *, timeout: float) -> Response:
    """POST an application/x-www-form-urlencoded body (UTF-8), asking for JSON back."""
    return request(
        "POST", url, body=body, headers={"Content-Type": FORM, "Accept": "application/json"}, timeout=timeout
    )


def urlopen(outgoing: urllib.request.Request, timeout: float):
    """Open `outgoing` without following redirects (the callers' tests put a stand-in here)."""
    return urllib.request.build_opener(_NoRedirects).open(outgoing, timeout=timeout)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises HTTPError with the 3xx status


def _read(reply) -> bytes:
    data = reply.read(MAX_REPLY_BYTES + 1)
    if len(data) > MAX_REPLY_BYTES:
        raise RequestFailed(f"reply larger than {MAX_REPLY_BYTES} bytes")
    return data


def _failed(method: str, host: str, exc: Exception) -> RequestFailed:
    if isinstance(exc, RequestFailed):
        detail = str(exc)
    else:
        reason = getattr(exc, "reason", exc)
        detail = f"{type(reason).__name__}: {reason}"[:200]
    logger.warning("%s %s got no usable reply: %s", method, host, detail)
    return RequestFailed(detail)


def _lower(headers) -> dict:
    return {str(name).lower(): value for name, value in (headers or {}).items()}
