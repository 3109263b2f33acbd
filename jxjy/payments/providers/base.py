"""The one gateway interface every payment provider implements.

Amounts are Decimal yuan with two places everywhere in the platform; a provider converts to fen (integer)
inside itself when its gateway wants fen. A provider verifies signatures and parses; the business checks
(app id, merchant id, amount equal to the payment's, unknown order) are done once, in
`jxjy.payments.services`, against `provider.app_id` / `provider.merchant_id`.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

CENT = Decimal("0.01")
BEIJING = datetime.timezone(datetime.timedelta(hours=8), "Asia/Shanghai")  # the gateways' clock


def setting(name: str) -> str:
    return str(getattr(settings, name, "") or "").strip()


def exact_yuan(amount) -> Decimal:
    """A positive amount of yuan with at most two places, as a gateway may be sent it; anything else (a float,
    text that is no number, zero or less, a third place) raises ValueError before a request is made."""
    if isinstance(amount, float):
        raise ValueError("amount must be a Decimal, not a float")
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError("amount is not a number") from None
    if not value.is_finite() or value <= 0:
        raise ValueError("amount must be positive")
    fen = value * 100
    if fen != fen.to_integral_value():
        raise ValueError("amount has more than two decimal places")
    return value


def in_beijing(moment: datetime.datetime) -> datetime.datetime:
    """`moment` on the gateways' clock (UTC+8); a naive value is read in the project's time zone."""
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment.astimezone(BEIJING)


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

    @classmethod
    def not_found(cls, payment, *, app_id: str, merchant_id: str, raw: dict) -> "GatewayTrade":
        """The gateway's verified answer that it knows no trade numbered `payment.number`."""
        return cls(
            out_trade_no=payment.number,
            trade_no="",
            amount=Decimal("0.00"),
            status=cls.NOT_FOUND,
            app_id=app_id,
            merchant_id=merchant_id,
            raw=raw,
        )


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
