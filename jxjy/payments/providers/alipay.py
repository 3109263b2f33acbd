"""Alipay (支付宝) open platform in public-key mode with RSA2 signatures.

- `start`: 电脑网站支付 `alipay.trade.page.pay`, the browser is sent to the gateway with the signed parameters.
- `parse_notification`: the asynchronous notification (a form POST), checked against Alipay's public key.
- `query` / `refund`: `alipay.trade.query` / `alipay.trade.refund`, form POSTs to the gateway whose replies are
  checked against Alipay's public key over the exact JSON text of the `<method>_response` member.

Signatures are SHA256withRSA (PKCS#1 v1.5), base64, over the parameters sorted by name and joined as
`k=v&k=v` with raw (not URL-encoded) values, empty values left out.

Configuration is read from django.conf.settings at use: ALIPAY_APP_ID, ALIPAY_PRIVATE_KEY (the app's private
key), ALIPAY_PUBLIC_KEY (Alipay's public key), ALIPAY_SELLER_ID (optional) and ALIPAY_GATEWAY. Keys are PEM; the
bare base64 text Alipay's key tool produces is accepted too. No key, signature base string or buyer detail is ever
put into an exception message or a log line; of Alipay's replies only plain codes are echoed.
"""

import datetime
import json
import logging
import re
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl, urlencode

from jxjy.lib import http
from jxjy.lib.http import safe_token

from .base import (
    BEIJING,
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

DEFAULT_GATEWAY = "https://openapi.alipay.com/gateway.do"
TIMEOUT_SECONDS = 10
CHARSET = "utf-8"
SIGN_TYPE = "RSA2"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
SUBJECT_MAX_CHARS = 256

REQUIRED_SETTINGS = ("ALIPAY_APP_ID", "ALIPAY_PRIVATE_KEY", "ALIPAY_PUBLIC_KEY")

TRADE_STATUS = {
    "TRADE_SUCCESS": GatewayTrade.SUCCESS,
    "TRADE_FINISHED": GatewayTrade.SUCCESS,
    "WAIT_BUYER_PAY": GatewayTrade.PENDING,
    "TRADE_CLOSED": GatewayTrade.CLOSED,
}

SUCCESS_CODE = "10000"
# "Service unavailable" and system errors leave the outcome unknown: the caller retries with the same numbers.
RETRY_CODES = {"20000"}
RETRY_SUB_CODES = {"ACQ.SYSTEM_ERROR", "aop.ACQ.SYSTEM_ERROR"}

_WHITESPACE = re.compile(r"[ \t\n\r]*")


# --- signatures ----------------------------------------------------------------------------------


def sign_content(params, exclude=("sign",)) -> str:
    """The string Alipay signs: `k=v` pairs sorted by name, raw values, empty values and `exclude` left out."""
    return "&".join(
        f"{key}={params[key]}" for key in sorted(params) if key not in exclude and params[key] not in ("", None)
    )


def top_level_members(text: str) -> dict[str, tuple[int, int]]:
    """Each member of a top-level JSON object with the [start, end) span of its value's exact text.

    Alipay signs the response member as it appears in the reply, so the span is cut out of the raw text rather
    than re-serialised (which would change spacing, key order and `\\u` escapes). Duplicate names are refused.
    """
    decoder = json.JSONDecoder()
    members: dict[str, tuple[int, int]] = {}
    index = _WHITESPACE.match(text, 0).end()
    if text[index : index + 1] != "{":
        raise ValueError("not a JSON object")
    index = _WHITESPACE.match(text, index + 1).end()
    if text[index : index + 1] == "}":
        index += 1
    else:
        while True:
            if text[index : index + 1] != '"':
                raise ValueError("member name expected")
            name, index = decoder.raw_decode(text, index)
            index = _WHITESPACE.match(text, index).end()
            if text[index : index + 1] != ":":
                raise ValueError("':' expected")
            start = _WHITESPACE.match(text, index + 1).end()
            _value, end = decoder.raw_decode(text, start)
            if name in members:
                raise ValueError("duplicate member")
            members[name] = (start, end)
            index = _WHITESPACE.match(text, end).end()
            separator = text[index : index + 1]
            index = _WHITESPACE.match(text, index + 1).end()
            if separator == "}":
                break
            if separator != ",":
                raise ValueError("',' or '}' expected")
    if _WHITESPACE.match(text, index).end() != len(text):
        raise ValueError("text after the JSON object")
    return members


# --- amounts and times ---------------------------------------------------------------------------


def yuan_text(amount) -> str:
    """A positive amount as Alipay wants it: yuan with exactly two places ("0.01"); more places are refused."""
    return f"{exact_yuan(amount).quantize(CENT):f}"


def beijing_time(moment: datetime.datetime) -> str:
    return in_beijing(moment).strftime(TIME_FORMAT)


def _subject(subject: str) -> str:
    # Alipay refuses "/", "=" and "&" in a subject; it is shown to the payer, so a space is an honest stand-in.
    cleaned = re.sub(r"[/=&]", " ", str(subject or "")).strip()
    return (cleaned or "订单")[:SUBJECT_MAX_CHARS]


# --- the provider --------------------------------------------------------------------------------


class AlipayProvider(SettingsConfiguredProvider):
    """支付宝 电脑网站支付 with asynchronous notification, query and refund (RSA2, public-key mode)."""

    name = "alipay"
    verbose_name = "支付宝"

    required_settings = REQUIRED_SETTINGS
    app_id_setting = "ALIPAY_APP_ID"
    merchant_id_setting = "ALIPAY_SELLER_ID"

    # --- configuration ---

    def _config(self) -> dict:
        self.check_configured()
        return {
            "app_id": setting("ALIPAY_APP_ID"),
            "seller_id": setting("ALIPAY_SELLER_ID"),
            "gateway": http.require_https(setting("ALIPAY_GATEWAY") or DEFAULT_GATEWAY, "ALIPAY_GATEWAY"),
            "private_key": load_private_key(setting("ALIPAY_PRIVATE_KEY"), "ALIPAY_PRIVATE_KEY"),
            "public_key": load_public_key(setting("ALIPAY_PUBLIC_KEY"), "ALIPAY_PUBLIC_KEY"),
        }

    def _signed_params(self, config: dict, method: str, biz_content: dict, **extra) -> dict:
        params = {
            "app_id": config["app_id"],
            "method": method,
            "format": "JSON",
            "charset": CHARSET,
            "sign_type": SIGN_TYPE,
            "timestamp": datetime.datetime.now(BEIJING).strftime(TIME_FORMAT),
            "version": "1.0",
            **{key: value for key, value in extra.items() if value},
            "biz_content": json.dumps(biz_content, ensure_ascii=False, separators=(",", ":")),
        }
        params["sign"] = rsa2_sign(config["private_key"], sign_content(params).encode(CHARSET))
        return params

    # --- the gateway interface ---

    def start(self, payment, *, subject: str, return_url: str, notify_url: str) -> StartResult:
        config = self._config()
        biz_content = {
            "out_trade_no": payment.number,
            "product_code": "FAST_INSTANT_TRADE_PAY",
            "total_amount": yuan_text(payment.amount),
            "subject": _subject(subject),
        }
        if getattr(payment, "expires_at", None):
            biz_content["time_expire"] = beijing_time(payment.expires_at)
        params = self._signed_params(
            config, "alipay.trade.page.pay", biz_content, notify_url=notify_url, return_url=return_url
        )
        joiner = "&" if "?" in config["gateway"] else "?"
        return StartResult(redirect_url=config["gateway"] + joiner + urlencode(params))

    def parse_notification(self, body: bytes, headers: dict) -> GatewayTrade:
        config = self._config()
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict")
        except (UnicodeDecodeError, ValueError, AttributeError):
            raise VerificationError("支付宝通知无法解析") from None
        params: dict[str, str] = {}
        for key, value in pairs:
            if key in params:
                raise VerificationError("支付宝通知含重复参数")
            params[key] = value
        signature = params.get("sign", "")
        if not signature:
            raise VerificationError("支付宝通知缺少签名")
        if params.get("sign_type", SIGN_TYPE) != SIGN_TYPE:
            raise VerificationError("支付宝通知签名类型不是 RSA2")
        content = sign_content(params, exclude=("sign", "sign_type")).encode("utf-8")
        if not rsa2_verify(config["public_key"], content, signature):
            logger.warning("Alipay notification signature mismatch: notify_id=%s", safe_token(params.get("notify_id")))
            raise VerificationError("支付宝通知签名验证失败")

        status = TRADE_STATUS.get(params.get("trade_status", ""))
        if status is None:
            raise VerificationError(f"支付宝通知交易状态未知：{safe_token(params.get('trade_status'))}")
        try:
            amount = Decimal(params.get("total_amount", ""))
        except InvalidOperation:
            raise VerificationError("支付宝通知金额无法识别") from None
        if not amount.is_finite():
            raise VerificationError("支付宝通知金额无法识别")
        return GatewayTrade(
            out_trade_no=params.get("out_trade_no", ""),
            trade_no=params.get("trade_no", ""),
            amount=amount,
            status=status,
            app_id=params.get("app_id", ""),
            merchant_id=params.get("seller_id", ""),
            raw=params,
        )

    def reply(self, accepted: bool, message: str = "") -> Reply:
        return Reply(200, b"success" if accepted else b"failure", "text/plain")

    def query(self, payment) -> GatewayTrade:
        """`alipay.trade.query` by out_trade_no.

        The reply is signed for the request made with our app id and names no app id itself, so the result
        carries the configured app id (and ALIPAY_SELLER_ID unless the reply names a seller_id).
        """
        config = self._config()
        node = self._request(
            self._signed_params(config, "alipay.trade.query", {"out_trade_no": payment.number}),
        )
        code = str(node.get("code", ""))
        if code == "40004" and node.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
            return GatewayTrade.not_found(payment, app_id=config["app_id"], merchant_id=config["seller_id"], raw=node)
        if code != SUCCESS_CODE:
            raise GatewayError(f"支付宝查询失败：{safe_token(code)} {safe_token(node.get('sub_code'))}")
        status = TRADE_STATUS.get(str(node.get("trade_status", "")))
        if status is None:
            raise GatewayError(f"支付宝查询返回未知交易状态：{safe_token(node.get('trade_status'))}")
        try:
            amount = Decimal(str(node.get("total_amount", "")))
        except InvalidOperation:
            raise GatewayError("支付宝查询返回的金额无法识别") from None
        return GatewayTrade(
            out_trade_no=str(node.get("out_trade_no", "")),
            trade_no=str(node.get("trade_no", "") or ""),
            amount=amount,
            status=status,
            app_id=config["app_id"],
            merchant_id=str(node.get("seller_id", "") or config["seller_id"]),
            raw=node,
        )

    def refund(self, payment, *, refund_no: str, amount: Decimal, reason: str) -> RefundResult:
        """`alipay.trade.refund`; out_request_no = refund_no makes a retry with the same number idempotent.

        code 10000 with fund_change "Y" is a completed refund; code 10000 with fund_change "N" is accepted but
        moved no money in this call (Alipay's advice: confirm with a refund query), reported as pending.
        Alipay assigns no refund id, so gateway_refund_no is its trade_no.
        """
        config = self._config()
        biz_content = {
            "out_trade_no": payment.number,
            "refund_amount": yuan_text(amount),
            "out_request_no": refund_no,
            "refund_reason": str(reason or "")[:256],
        }
        node = self._request(self._signed_params(config, "alipay.trade.refund", biz_content))
        code = str(node.get("code", ""))
        sub_code = str(node.get("sub_code", ""))
        if code in RETRY_CODES or sub_code in RETRY_SUB_CODES:
            raise GatewayError(f"支付宝退款结果未知，请用同一退款单号重试：{safe_token(code)} {safe_token(sub_code)}")
        if code != SUCCESS_CODE:
            logger.warning("Alipay refund refused: code=%s sub_code=%s", safe_token(code), safe_token(sub_code))
            return RefundResult(refund_no=refund_no, gateway_refund_no="", succeeded=False, raw=node)
        return RefundResult(
            refund_no=refund_no,
            gateway_refund_no=str(node.get("trade_no", "") or ""),
            succeeded=True,
            pending=node.get("fund_change") != "Y",
            raw=node,
        )

    # --- transport ---

    def _request(self, params: dict) -> dict:
        """POST signed parameters, verify the reply's signature, return the `<method>_response` member.

        An unsigned reply is only accepted as an error (it raises GatewayError); a signed one must verify.
        """
        config = self._config()
        method = params["method"]
        root = method.replace(".", "_") + "_response"
        raw = self._post(config["gateway"], urlencode(params).encode("ascii"))
        try:
            text = raw.decode(CHARSET)
            members = top_level_members(text)
        except (UnicodeDecodeError, ValueError):
            raise GatewayError(f"支付宝 {method} 的应答无法解析") from None

        if root not in members:
            error = {}
            if "error_response" in members:
                start, end = members["error_response"]
                error = json.loads(text[start:end])
            error = error if isinstance(error, dict) else {}
            raise GatewayError(
                f"支付宝 {method} 失败：{safe_token(error.get('code'))} {safe_token(error.get('sub_code'))}".rstrip()
            )
        start, end = members[root]
        node = json.loads(text[start:end])
        if not isinstance(node, dict):
            raise GatewayError(f"支付宝 {method} 的应答无法解析")
        signature = None
        if "sign" in members:
            sign_start, sign_end = members["sign"]
            signature = json.loads(text[sign_start:sign_end])
        if not signature:
            if str(node.get("code", "")) != SUCCESS_CODE:
                codes = f"{safe_token(node.get('code'))} {safe_token(node.get('sub_code'))}"
                raise GatewayError(f"支付宝 {method} 失败（未签名的应答）：{codes}")
            raise VerificationError(f"支付宝 {method} 的应答缺少签名")
        if not isinstance(signature, str) or not rsa2_verify(
            config["public_key"], text[start:end].encode(CHARSET), signature
        ):
            logger.warning("Alipay %s reply signature mismatch", method)
            raise VerificationError(f"支付宝 {method} 的应答签名验证失败")
        return node

    def _post(self, url: str, body: bytes) -> bytes:
        """POST a form body to the gateway and return the raw reply bytes of a 2xx reply."""
        try:
            response = http.post_form(url, body, timeout=TIMEOUT_SECONDS)
        except http.RequestFailed as exc:
            raise GatewayError(f"支付宝网关请求失败：{exc}") from None
        if not 200 <= response.status < 300:
            logger.warning("Alipay gateway answered HTTP %s", response.status)
            raise GatewayError(f"支付宝网关返回 HTTP {response.status}")
        return response.body
