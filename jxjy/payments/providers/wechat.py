"""WeChat Pay API v3 (微信支付) for a direct merchant: Native payment (QR code), notifications, query, refund.

Requests carry `Authorization: WECHATPAY2-SHA256-RSA2048 mchid=…,nonce_str=…,signature=…,timestamp=…,serial_no=…`,
the signature being SHA256withRSA (PKCS#1 v1.5) with the merchant key over
"METHOD\\nURL path with query\\ntimestamp\\nnonce\\nbody\\n". Replies and notifications are checked with the
platform public key over "timestamp\\nnonce\\nbody\\n" taken from the Wechatpay-* headers, the Wechatpay-Serial
must name the configured platform key and the timestamp must be within five minutes. A notification's `resource`
is AEAD_AES_256_GCM encrypted with the API v3 key.

Configuration is read from django.conf.settings at use: WECHAT_APP_ID, WECHAT_MCH_ID, WECHAT_MCH_PRIVATE_KEY,
WECHAT_MCH_SERIAL, WECHAT_API_V3_KEY, WECHAT_PLATFORM_PUBLIC_KEY, WECHAT_PLATFORM_SERIAL and WECHAT_API_BASE.
No key, signature or payer detail is put into an exception message or a log line; of WeChat's replies only
plain error codes are echoed.

Amounts are Decimal yuan outside this module and integer fen at the gateway.
"""

import base64
import binascii
import datetime
import json
import logging
import re
import secrets
import time
from decimal import Decimal
from urllib.parse import quote

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.exceptions import ImproperlyConfigured

from jxjy.lib import http
from jxjy.lib.http import safe_token

from .base import (
    CENT,
    GatewayError,
    GatewayTrade,
    RefundResult,
    Reply,
    SettingsConfiguredProvider,
    StartResult,
    VerificationError,
    exact_yuan,
    in_beijing,
    setting,
)
from .rsa_keys import load_private_key, load_public_key, rsa2_sign, rsa2_verify

logger = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.mch.weixin.qq.com"
AUTH_SCHEMA = "WECHATPAY2-SHA256-RSA2048"
USER_AGENT = "jxjy-payments/1.0"
TIMEOUT_SECONDS = 10
MAX_CLOCK_SKEW_SECONDS = 300
_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # Unix seconds as the gateway sends them
DESCRIPTION_MAX_BYTES = 127
REASON_MAX_CHARS = 80

REQUIRED_SETTINGS = (
    "WECHAT_APP_ID",
    "WECHAT_MCH_ID",
    "WECHAT_MCH_PRIVATE_KEY",
    "WECHAT_MCH_SERIAL",
    "WECHAT_API_V3_KEY",
    "WECHAT_PLATFORM_PUBLIC_KEY",
    "WECHAT_PLATFORM_SERIAL",
)

TRADE_STATE = {
    "SUCCESS": GatewayTrade.SUCCESS,
    # 转入退款: the payment did succeed and has since been (partly) refunded.
    "REFUND": GatewayTrade.SUCCESS,
    "NOTPAY": GatewayTrade.PENDING,
    "USERPAYING": GatewayTrade.PENDING,
    "CLOSED": GatewayTrade.CLOSED,
    "REVOKED": GatewayTrade.CLOSED,
    "PAYERROR": GatewayTrade.FAILED,
}


# --- amounts, text, times ------------------------------------------------------------------------


def yuan_to_fen(amount) -> int:
    """Decimal yuan → integer fen, exactly: 0.01 → 1. Floats, non-positive amounts and a third place are refused."""
    return int(exact_yuan(amount) * 100)


def fen_to_yuan(fen: int) -> Decimal:
    """Integer fen → Decimal yuan with two places: 1 → Decimal("0.01")."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise ValueError("fen must be an integer")
    return (Decimal(fen) / 100).quantize(CENT)


def truncate_utf8(text: str, limit: int) -> str:
    """At most `limit` UTF-8 bytes, cut on a character boundary."""
    return str(text or "").encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def rfc3339_beijing(moment: datetime.datetime) -> str:
    return in_beijing(moment).replace(microsecond=0).isoformat()


# --- signatures ----------------------------------------------------------------------------------


def request_message(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """What the merchant signs: "METHOD\\npath?query\\ntimestamp\\nnonce\\nbody\\n" (body empty for GET)."""
    return f"{method.upper()}\n{path}\n{timestamp}\n{nonce}\n".encode() + (body or b"") + b"\n"


def reply_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    """What WeChat signs in replies and notifications: "timestamp\\nnonce\\nbody\\n"."""
    return f"{timestamp}\n{nonce}\n".encode() + (body or b"") + b"\n"


# --- the provider --------------------------------------------------------------------------------


class WechatPayProvider(SettingsConfiguredProvider):
    """微信支付 Native (扫码) payment over API v3, with notification, query and refund."""

    name = "wechat"
    verbose_name = "微信支付"

    required_settings = REQUIRED_SETTINGS
    app_id_setting = "WECHAT_APP_ID"
    merchant_id_setting = "WECHAT_MCH_ID"

    # --- configuration ---

    def _config(self) -> dict:
        self.check_configured()
        api_base = (setting("WECHAT_API_BASE") or DEFAULT_API_BASE).rstrip("/")
        http.require_https(api_base, "WECHAT_API_BASE")
        api_v3_key = setting("WECHAT_API_V3_KEY").encode("utf-8")
        if len(api_v3_key) != 32:
            raise ImproperlyConfigured("WECHAT_API_V3_KEY 必须是 32 字节的字符串")
        return {
            "app_id": setting("WECHAT_APP_ID"),
            "mch_id": setting("WECHAT_MCH_ID"),
            "mch_serial": setting("WECHAT_MCH_SERIAL"),
            "platform_serial": setting("WECHAT_PLATFORM_SERIAL"),
            "api_base": api_base,
            "api_v3_key": api_v3_key,
            "private_key": load_private_key(setting("WECHAT_MCH_PRIVATE_KEY"), "WECHAT_MCH_PRIVATE_KEY"),
            "platform_key": load_public_key(setting("WECHAT_PLATFORM_PUBLIC_KEY"), "WECHAT_PLATFORM_PUBLIC_KEY"),
        }

    def authorization(self, config: dict, method: str, path: str, body: bytes | None) -> str:
        """The Authorization header for one request; `path` is the URL path with its query string."""
        timestamp = str(int(time.time()))
        nonce = secrets.token_hex(16).upper()
        signature = rsa2_sign(config["private_key"], request_message(method, path, timestamp, nonce, body))
        return (
            f'{AUTH_SCHEMA} mchid="{config["mch_id"]}",nonce_str="{nonce}",signature="{signature}",'
            f'timestamp="{timestamp}",serial_no="{config["mch_serial"]}"'
        )

    def _verify(self, config: dict, headers: dict, body: bytes, what: str) -> None:
        """Check the Wechatpay-* headers and signature of a reply or notification; VerificationError if not."""
        headers = {str(name).lower(): str(value).strip() for name, value in (headers or {}).items()}
        needed = ("wechatpay-timestamp", "wechatpay-nonce", "wechatpay-signature", "wechatpay-serial")
        if not all(headers.get(name) for name in needed):
            raise VerificationError(f"微信支付{what}缺少签名头")
        timestamp, nonce, signature, serial = (headers[name] for name in needed)
        if headers.get("wechatpay-signature-type", AUTH_SCHEMA) != AUTH_SCHEMA:
            raise VerificationError(f"微信支付{what}签名类型不受支持")
        if serial != config["platform_serial"]:
            logger.warning("WeChat Pay %s names an unknown Wechatpay-Serial", what)
            raise VerificationError(f"微信支付{what}的平台证书序列号不符")
        # "²" or "٣" pass str.isdigit() yet int() refuses them: ASCII digits only, and no longer than a real one.
        if not _TIMESTAMP.fullmatch(timestamp) or abs(time.time() - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
            raise VerificationError(f"微信支付{what}的时间戳超出允许范围")
        if not rsa2_verify(config["platform_key"], reply_message(timestamp, nonce, body), signature):
            logger.warning("WeChat Pay %s signature mismatch", what)
            raise VerificationError(f"微信支付{what}签名验证失败")

    # --- the gateway interface ---

    def start(self, payment, *, subject: str, return_url: str, notify_url: str) -> StartResult:
        """Native order: POST /v3/pay/transactions/native → code_url, shown to the payer as a QR code.

        return_url is not used (a Native payment has no browser return). A reply whose signature does not
        verify raises VerificationError; a refused request raises GatewayError.
        """
        config = self._config()
        order = {
            "appid": config["app_id"],
            "mchid": config["mch_id"],
            "description": truncate_utf8(subject, DESCRIPTION_MAX_BYTES) or "订单",
            "out_trade_no": payment.number,
            "notify_url": notify_url,
            "amount": {"total": yuan_to_fen(payment.amount), "currency": "CNY"},
        }
        if getattr(payment, "expires_at", None):
            order["time_expire"] = rfc3339_beijing(payment.expires_at)
        status, headers, body = self._request("POST", "/v3/pay/transactions/native", _json_bytes(order))
        data = self._verified_json(config, status, headers, body, "下单")
        code_url = data.get("code_url")
        if not isinstance(code_url, str) or not code_url:
            raise GatewayError("微信支付下单应答缺少 code_url")
        return StartResult(qr_code_text=code_url)

    def parse_notification(self, body: bytes, headers: dict) -> GatewayTrade:
        config = self._config()
        self._verify(config, headers, body, "通知")
        try:
            envelope = json.loads(body.decode("utf-8"))
            resource = envelope["resource"]
            if resource.get("algorithm") != "AEAD_AES_256_GCM":
                raise ValueError("algorithm")
            nonce = resource["nonce"].encode("utf-8")
            associated_data = (resource.get("associated_data") or "").encode("utf-8")
            ciphertext = base64.b64decode(resource["ciphertext"], validate=True)
            plaintext = AESGCM(config["api_v3_key"]).decrypt(nonce, ciphertext, associated_data or None)
            transaction = json.loads(plaintext.decode("utf-8"))
        except (InvalidTag, ValueError, TypeError, KeyError, AttributeError, binascii.Error, UnicodeDecodeError):
            logger.warning("WeChat Pay notification could not be decrypted")
            raise VerificationError("微信支付通知解密失败") from None
        if not isinstance(transaction, dict) or "trade_state" not in transaction:
            raise VerificationError("微信支付通知不是支付结果")
        try:
            return self._trade(transaction)
        except GatewayError as exc:
            raise VerificationError(str(exc)) from None

    def reply(self, accepted: bool, message: str = "") -> Reply:
        if accepted:
            return Reply(204, b"", "text/plain")
        body = json.dumps({"code": "FAIL", "message": message or "失败"}, ensure_ascii=False).encode("utf-8")
        return Reply(400, body, "application/json")

    def query(self, payment) -> GatewayTrade:
        """GET /v3/pay/transactions/out-trade-no/{number}?mchid=…; a verified 404 is NOT_FOUND."""
        config = self._config()
        path = f"/v3/pay/transactions/out-trade-no/{quote(payment.number, safe='')}?mchid={quote(config['mch_id'])}"
        status, headers, body = self._request("GET", path, None)
        if status == 404:
            self._verify(config, headers, body, "查询应答")
            return GatewayTrade.not_found(
                payment, app_id=config["app_id"], merchant_id=config["mch_id"], raw=_loads_or_empty(body)
            )
        return self._trade(self._verified_json(config, status, headers, body, "查询应答"))

    def refund(self, payment, *, refund_no: str, amount: Decimal, reason: str) -> RefundResult:
        """POST /v3/refund/domestic/refunds. SUCCESS → done; PROCESSING → accepted, pending; CLOSED/ABNORMAL
        → not succeeded. A verified 4xx refusal (other than 429) → not succeeded; 5xx, 429, unverifiable or
        unreachable → GatewayError (retry with the same refund number, which WeChat treats idempotently)."""
        config = self._config()
        request = {
            "out_trade_no": payment.number,
            "out_refund_no": refund_no,
            "amount": {"refund": yuan_to_fen(amount), "total": yuan_to_fen(payment.amount), "currency": "CNY"},
        }
        reason = str(reason or "").strip()[:REASON_MAX_CHARS]
        if reason:
            request["reason"] = reason
        status, headers, body = self._request("POST", "/v3/refund/domestic/refunds", _json_bytes(request))
        if 400 <= status < 500 and status != 429:
            self._verify(config, headers, body, "退款应答")
            error = _loads_or_empty(body)
            logger.warning("WeChat Pay refund refused: HTTP %s code=%s", status, safe_token(error.get("code")))
            return RefundResult(refund_no=refund_no, gateway_refund_no="", succeeded=False, raw=error)
        data = self._verified_json(config, status, headers, body, "退款应答")
        refund_status = data.get("status")
        return RefundResult(
            refund_no=refund_no,
            gateway_refund_no=str(data.get("refund_id", "") or ""),
            succeeded=refund_status in ("SUCCESS", "PROCESSING"),
            pending=refund_status == "PROCESSING",
            raw=data,
        )

    # --- helpers ---

    def _trade(self, data: dict) -> GatewayTrade:
        status = TRADE_STATE.get(str(data.get("trade_state", "")))
        if status is None:
            raise GatewayError(f"微信支付交易状态未知：{safe_token(data.get('trade_state'))}")
        amount = data.get("amount")
        try:
            total = fen_to_yuan(amount.get("total"))
        except (AttributeError, ValueError):
            raise GatewayError("微信支付金额无法识别") from None
        return GatewayTrade(
            out_trade_no=str(data.get("out_trade_no", "")),
            trade_no=str(data.get("transaction_id", "") or ""),
            amount=total,
            status=status,
            app_id=str(data.get("appid", "")),
            merchant_id=str(data.get("mchid", "")),
            raw=data,
        )

    def _verified_json(self, config: dict, status: int, headers: dict, body: bytes, what: str) -> dict:
        """A 2xx reply verified and decoded; other statuses raise GatewayError with WeChat's code only."""
        if not 200 <= status < 300:
            error = _loads_or_empty(body)
            logger.warning("WeChat Pay %s: HTTP %s code=%s", what, status, safe_token(error.get("code")))
            raise GatewayError(f"微信支付{what}失败：HTTP {status} {safe_token(error.get('code'))}")
        self._verify(config, headers, body, what)
        data = _loads_or_empty(body)
        if not data:
            raise GatewayError(f"微信支付{what}无法解析")
        return data

    # --- transport ---

    def _request(self, method: str, path: str, body: bytes | None) -> tuple[int, dict, bytes]:
        """Sign and send one API request; `path` is relative to WECHAT_API_BASE and carries its query."""
        config = self._config()
        headers = {
            "Authorization": self.authorization(config, method, path, body),
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        if body is not None:
            headers["Content-Type"] = "application/json"
        return self._http(method, config["api_base"] + path, headers, body)

    def _http(self, method: str, url: str, headers: dict, body: bytes | None) -> tuple[int, dict, bytes]:
        """The HTTP exchange: (status, lower-case headers, body), also for 4xx/5xx replies."""
        try:
            response = http.request(method, url, body=body, headers=headers, timeout=TIMEOUT_SECONDS)
        except http.RequestFailed as exc:
            raise GatewayError(f"微信支付请求失败：{exc}") from None
        return response.status, response.headers, response.body


def _json_bytes(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _loads_or_empty(body: bytes) -> dict:
    try:
        data = json.loads((body or b"").decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
