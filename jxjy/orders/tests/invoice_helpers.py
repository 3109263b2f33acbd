from django.test import Client

from jxjy.orders.tests.helpers import place
from jxjy.payments.models import MockBankTrade
from jxjy.payments.tests.helpers import body_for, notify, start

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
# A real, valid USCC (check digit per GB 32100), of an enterprise.
TAX_ID = "91320102MA1W9HQ21H"


def pay(client, order, trade_no="MB0001"):
    """Pay `order` through the 模拟银行: start the payment as the buyer, then the bank's signed notification."""
    payment, _ = start(client, order)
    MockBankTrade.objects.filter(out_trade_no=payment.number).update(status="SUCCESS", trade_no=trade_no)
    response = notify(Client(), body_for(payment, trade_no=trade_no))
    assert response.status_code == 200, response.content
    order.refresh_from_db()
    payment.refresh_from_db()
    return payment


def paid_order(client, training_class, **invoice):
    order = place(client, training_class, **invoice)
    pay(client, order)
    return order
