"""模拟银行: the development, demo and test gateway. It behaves like a real one: its own payment page,
a signed asynchronous notification to the notify URL (a real HTTP request), an order query and refunds."""

import hashlib
import hmac
import json
import secrets
import time
from decimal import Decimal

from django.conf import settings
from django.urls import reverse

from .base import BasePaymentProvider, GatewayTrade, RefundResult, Reply, StartResult, VerificationError

MERCHANT_ID = "JXJY-MOCK-0001"
SIGNATURE_HEADER = "x-mockbank-signature"
MAX_AGE = 300


def sign(body: bytes) -> str:
    secret = settings.MOCKBANK_SECRET
    if not secret:  # outside development there is no secret at all: nothing can be signed or verified with ""
        raise VerificationError("the mock bank has no secret")
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def notification_body(trade, status: str | None = None) -> bytes:
    return json.dumps(
        {
            "merchant_id": MERCHANT_ID,
            "out_trade_no": trade.out_trade_no,
            "trade_no": trade.trade_no,
            "amount": str(trade.amount),
            "status": status or trade.status,
            "timestamp": int(time.time()),
        },
        separators=(",", ":"),
    ).encode()


class MockBankProvider(BasePaymentProvider):
    name = "mockbank"
    verbose_name = "模拟银行"
    merchant_id = MERCHANT_ID
    development_only = True  # the registry refuses it without DEV_TOOLS

    def is_configured(self) -> bool:
        return bool(settings.DEV_TOOLS and settings.MOCKBANK_SECRET)

    def _trades(self):
        from jxjy.payments.models import MockBankTrade

        return MockBankTrade.objects

    def start(self, payment, *, subject, return_url, notify_url):
        self._trades().update_or_create(
            out_trade_no=payment.number,
            defaults={
                "amount": payment.amount,
                "subject": subject,
                "order_number": payment.order.number,
                "notify_url": notify_url,
                "return_url": return_url,
            },
        )
        return StartResult(redirect_url=reverse("payments:mockbank", args=[payment.number]))

    def parse_notification(self, body, headers):
        signature = headers.get(SIGNATURE_HEADER, "")
        if not signature or not hmac.compare_digest(signature, sign(body)):
            raise VerificationError("bad signature")
        try:
            data = json.loads(body)
            if abs(time.time() - int(data["timestamp"])) > MAX_AGE:
                raise VerificationError("stale notification")
            return GatewayTrade(
                out_trade_no=data["out_trade_no"],
                trade_no=data["trade_no"],
                amount=Decimal(data["amount"]),
                status=data["status"],
                merchant_id=data["merchant_id"],
                raw=data,
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise VerificationError("malformed notification") from exc

    def reply(self, accepted, message=""):
        return Reply(200, b"OK") if accepted else Reply(400, b"FAIL")

    def query(self, payment):
        trade = self._trades().filter(out_trade_no=payment.number).first()
        if trade is None:
            return GatewayTrade(payment.number, "", payment.amount, GatewayTrade.NOT_FOUND)
        status = {"WAIT": GatewayTrade.PENDING, "REFUNDED": GatewayTrade.SUCCESS}.get(trade.status, trade.status)
        return GatewayTrade(trade.out_trade_no, trade.trade_no, trade.amount, status, merchant_id=MERCHANT_ID)

    def refund(self, payment, *, refund_no, amount, reason):
        """Like a real gateway: the same refund number again is answered as the refund it already made."""
        trade = self._trades().filter(out_trade_no=payment.number).first()
        if trade is not None and trade.status == "REFUNDED" and trade.refund_no == refund_no:
            return RefundResult(refund_no, "R" + refund_no, succeeded=True)
        if trade is None or trade.status != "SUCCESS":
            return RefundResult(refund_no, "", succeeded=False)
        trade.status, trade.refund_no = "REFUNDED", refund_no
        trade.save(update_fields=["status", "refund_no"])
        return RefundResult(refund_no, "R" + refund_no, succeeded=True)

    # --- the bank's side ---

    def settle(self, trade, succeeded: bool):
        """The learner pressed 支付成功 / 支付失败 on the bank's page."""
        trade.status = "SUCCESS" if succeeded else "FAILED"
        if succeeded and not trade.trade_no:
            trade.trade_no = "MB" + secrets.token_hex(10).upper()
        trade.save(update_fields=["status", "trade_no"])
