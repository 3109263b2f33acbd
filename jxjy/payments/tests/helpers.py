"""Build notifications the way the 模拟银行 sends them, and post them to the platform."""

import json
import threading
import time

from django.urls import reverse

from jxjy.payments.providers.mockbank import MERCHANT_ID, SIGNATURE_HEADER, MockBankProvider, sign

NOTIFY_URL = "/payments/notify/mockbank/"


def body_for(payment, *, status="SUCCESS", amount=None, merchant=MERCHANT_ID, trade_no="MB0001", number=None):
    return json.dumps(
        {
            "merchant_id": merchant,
            "out_trade_no": number or payment.number,
            "trade_no": trade_no,
            "amount": str(amount if amount is not None else payment.amount),
            "status": status,
            "timestamp": int(time.time()),
        }
    ).encode()


def notify(client, body, signature=None):
    headers = {SIGNATURE_HEADER: sign(body) if signature is None else signature}
    return client.post(NOTIFY_URL, data=body, content_type="application/json", headers=headers)


def start(client, order, provider="mockbank"):
    from jxjy.payments.models import Payment

    response = client.post(reverse("payments:pay", args=[order.number]), {"provider": provider})
    assert response.status_code == 302, response
    return Payment.objects.filter(order=order).latest("created_at"), response


class CountingMockBank(MockBankProvider):
    """The 模拟银行 with a slow gateway that counts what it was asked to do: proves "one gateway call"."""

    calls = {"start": [], "refund": []}
    lock = threading.Lock()
    delay = 0.0

    @classmethod
    def reset(cls, delay=0.0):
        cls.calls = {"start": [], "refund": []}
        cls.delay = delay

    def _count(self, what, value):
        with self.lock:
            self.calls[what].append(value)
            count = len(self.calls[what])
        time.sleep(self.delay)  # a slow gateway widens the window a race needs
        return count

    def start(self, payment, **kwargs):
        count = self._count("start", payment.number)
        result = super().start(payment, **kwargs)
        result.redirect_url += f"?attempt={count}"  # each gateway call answers differently
        return result

    def refund(self, payment, *, refund_no, amount, reason):
        self._count("refund", refund_no)
        return super().refund(payment, refund_no=refund_no, amount=amount, reason=reason)


COUNTING_PROVIDERS = {"mockbank": "jxjy.payments.tests.helpers.CountingMockBank"}
