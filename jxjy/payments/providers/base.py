"""The one gateway interface every payment provider implements.

Amounts are Decimal yuan with two places everywhere in the platform; a provider converts to fen (integer)
inside itself when its gateway wants fen. A provider verifies signatures and parses; the business checks
(app id, merchant id, amount equal to the payment's, unknown order) are done once, in
`jxjy.payments.services`, against `provider.app_id` / `provider.merchant_id`.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_SAFE_TOKEN = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def setting(name: str) -> str:
    return str(getattr(settings, name, "") or "").strip()


def safe_token(value) -> str:
    """A gateway code or id fit for a log line or an exception; anything else becomes "?"."""
    text = str(value) if value is not None else ""
    return text if _SAFE_TOKEN.fullmatch(text) else "?"


class VerificationError(Exception):
    """A notification or gateway reply whose signature, timestamp or encryption does not check out."""


class GatewayError(Exception):
    """The gateway could not be reached or refused a request (query, refund, order creation)."""


@dataclass
class StartResult:
    """How the browser continues: a redirect to the gateway's page, or a QR code to scan (WeChat Native)."""

    redirect_url: str | None = None
    qr_code_text: str | None = None


@dataclass
class GatewayTrade:
    """A payment as the gateway reports it, in a notification or a query reply."""

    out_trade_no: str  # our Payment.number
    trade_no: str  # the gateway's transaction id ("" when it has none yet)
    amount: Decimal  # yuan, two places
    status: str  # one of SUCCESS, PENDING, FAILED, CLOSED, NOT_FOUND
    app_id: str = ""
    merchant_id: str = ""
    raw: dict = field(default_factory=dict)

    SUCCESS = "SUCCESS"
    PENDING = "PENDING"
    FAILED = "FAILED"
    CLOSED = "CLOSED"
    NOT_FOUND = "NOT_FOUND"


@dataclass
class RefundResult:
    refund_no: str  # our refund number, echoed
    gateway_refund_no: str
    succeeded: bool  # accepted by the gateway (WeChat may still be processing: succeeded=True, pending=True)
    pending: bool = False
    raw: dict = field(default_factory=dict)


@dataclass
class Reply:
    """The exact HTTP reply a gateway expects to a notification."""

    status: int
    body: bytes = b""
    content_type: str = "text/plain"


class BasePaymentProvider:
    name = ""  # "mockbank", "alipay", "wechat"
    verbose_name = ""  # shown to learners: 模拟银行, 支付宝, 微信支付
    app_id = ""
    merchant_id = ""

    def is_configured(self) -> bool:
        return True

    def start(self, payment, *, subject: str, return_url: str, notify_url: str) -> StartResult:
        """Create the payment at the gateway. `payment` has .number, .amount (Decimal yuan) and .expires_at."""
        raise NotImplementedError

    def parse_notification(self, body: bytes, headers: dict) -> GatewayTrade:
        """Verify an asynchronous notification and return what it says; raise VerificationError if forged.
        `headers` maps lower-case header names to values."""
        raise NotImplementedError

    def reply(self, accepted: bool, message: str = "") -> Reply:
        """The reply the gateway expects: accepted=True stops its retries."""
        raise NotImplementedError

    def query(self, payment) -> GatewayTrade:
        """Ask the gateway for the payment's state (by out_trade_no = payment.number)."""
        raise NotImplementedError

    def refund(self, payment, *, refund_no: str, amount: Decimal, reason: str) -> RefundResult:
        raise NotImplementedError


class SettingsConfiguredProvider(BasePaymentProvider):
    """A real gateway configured from settings: `required_settings` must all be set."""

    required_settings: tuple = ()
    app_id_setting = ""
    merchant_id_setting = ""

    @property
    def app_id(self) -> str:
        return setting(self.app_id_setting)

    @property
    def merchant_id(self) -> str:
        return setting(self.merchant_id_setting)

    def is_configured(self) -> bool:
        return all(setting(name) for name in self.required_settings)

    def check_configured(self) -> None:
        missing = [name for name in self.required_settings if not setting(name)]
        if missing:
            raise ImproperlyConfigured(f"{self.verbose_name}配置不完整，缺少：{'、'.join(missing)}")
