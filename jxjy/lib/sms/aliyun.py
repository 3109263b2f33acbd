"""Sends messages through Aliyun Dysmsapi `SendSms` (API version 2017-05-25).

Requests are signed with the classic RPC signature (HMAC-SHA1, SignatureVersion 1.0) and
posted as a form over HTTPS through jxjy.lib.http.

Nothing that identifies the recipient or carries the message content (phone number,
template parameters such as the verification code) and never the AccessKey secret is put
into an exception message or a log line. Aliyun's own `Message` field is ignored for the
same reason: for a signature mismatch it echoes the whole string to sign, phone included.
"""

import base64
import datetime
import hashlib
import hmac
import json
import logging
import uuid
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from jxjy.lib import http
from jxjy.lib.http import safe_token

from .base import BaseSmsBackend, SmsError

logger = logging.getLogger(__name__)

API_VERSION = "2017-05-25"
REGION_ID = "cn-hangzhou"
SIGNATURE_METHOD = "HMAC-SHA1"
SIGNATURE_VERSION = "1.0"
TIMEOUT_SECONDS = 5
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def percent_encode(value) -> str:
    """Aliyun POP encoding: RFC 3986 over UTF-8, only A-Z a-z 0-9 - _ . ~ left as is.

    So a space becomes %20 (not +), `*` becomes %2A and `~` stays unescaped.
    """
    return quote(str(value), safe="-_.~")


def canonicalized_query(params: dict) -> str:
    """Parameters sorted by name, each name and value percent-encoded, joined with `&`."""
    pairs = sorted((percent_encode(k), percent_encode(v)) for k, v in params.items() if k != "Signature")
    return "&".join(f"{k}={v}" for k, v in pairs)


def string_to_sign(params: dict, method: str = "POST") -> str:
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonicalized_query(params))}"


def sign(params: dict, secret: str, method: str = "POST") -> str:
    """Base64 of HMAC-SHA1(AccessKeySecret + "&", StringToSign); any `Signature` entry is ignored."""
    digest = hmac.new(
        f"{secret}&".encode(),
        string_to_sign(params, method).encode(),
        hashlib.sha1,
    ).digest()
    return base64.b64encode(digest).decode("ascii")


class SmsBackend(BaseSmsBackend):
    """Aliyun Dysmsapi back end: one signed `SendSms` POST per message.

    Configured by ALIYUN_SMS_ACCESS_KEY_ID, ALIYUN_SMS_ACCESS_KEY_SECRET, ALIYUN_SMS_SIGN_NAME,
    ALIYUN_SMS_ENDPOINT and ALIYUN_SMS_TEMPLATES ({"code": ..., "notice": ...}). Missing
    configuration raises ImproperlyConfigured; a rejected or failed request raises SmsError
    carrying only Aliyun's error code.
    """

    def send(self, message) -> None:
        access_key_id, secret, sign_name, endpoint, template_code = self._config(message.template)
        params = {
            "AccessKeyId": access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": message.mobile,
            "RegionId": REGION_ID,
            "SignName": sign_name,
            "SignatureMethod": SIGNATURE_METHOD,
            "SignatureNonce": str(uuid.uuid4()),
            "SignatureVersion": SIGNATURE_VERSION,
            "TemplateCode": template_code,
            "TemplateParam": json.dumps(message.params, ensure_ascii=False, separators=(",", ":")),
            "Timestamp": datetime.datetime.now(datetime.UTC).strftime(TIMESTAMP_FORMAT),
            "Version": API_VERSION,
        }
        signature = sign(params, secret, "POST")
        body = (canonicalized_query(params) + "&Signature=" + percent_encode(signature)).encode("ascii")

        reply = self._post(endpoint, body)
        code = reply.get("Code")
        request_id = safe_token(reply.get("RequestId"))
        if code != "OK":
            logger.warning(
                "Aliyun SMS rejected: template=%s code=%s request_id=%s", message.template, safe_token(code), request_id
            )
            raise SmsError(f"Aliyun SendSms failed: {safe_token(code)} (RequestId {request_id})")
        logger.info(
            "Aliyun SMS accepted: template=%s request_id=%s biz_id=%s",
            message.template,
            request_id,
            safe_token(reply.get("BizId")),
        )

    def _config(self, template: str):
        values = {
            name: str(getattr(settings, name, "") or "").strip()
            for name in (
                "ALIYUN_SMS_ACCESS_KEY_ID",
                "ALIYUN_SMS_ACCESS_KEY_SECRET",
                "ALIYUN_SMS_SIGN_NAME",
                "ALIYUN_SMS_ENDPOINT",
            )
        }
        missing = [name for name, value in values.items() if not value]
        if missing:
            raise ImproperlyConfigured(f"阿里云短信配置不完整，缺少：{'、'.join(missing)}")
        endpoint = http.require_https(values["ALIYUN_SMS_ENDPOINT"], "ALIYUN_SMS_ENDPOINT")
        templates = getattr(settings, "ALIYUN_SMS_TEMPLATES", None) or {}
        template_code = str(templates.get(template) or "").strip()
        if not template_code:
            raise ImproperlyConfigured(f"未配置阿里云短信模板：ALIYUN_SMS_TEMPLATES[{template!r}]")
        return (
            values["ALIYUN_SMS_ACCESS_KEY_ID"],
            values["ALIYUN_SMS_ACCESS_KEY_SECRET"],
            values["ALIYUN_SMS_SIGN_NAME"],
            endpoint,
            template_code,
        )

    def _post(self, url: str, body: bytes) -> dict:
        """POST a form body and return the decoded JSON reply (also for HTTP error statuses: Aliyun answers business
        and signature errors with 4xx and a JSON body carrying `Code`)."""
        try:
            response = http.post_form(url, body, timeout=TIMEOUT_SECONDS)
        except http.RequestFailed as exc:
            raise SmsError(f"Aliyun SendSms request failed: {exc}") from None
        try:
            reply = json.loads(response.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            reply = None
        if not isinstance(reply, dict):
            logger.warning("Aliyun SMS reply unreadable: HTTP %s", response.status)
            raise SmsError(f"Aliyun SendSms returned an unreadable reply (HTTP {response.status})")
        return reply
