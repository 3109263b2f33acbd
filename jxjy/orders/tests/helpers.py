from django.urls import reverse

from jxjy.orders.models import Order

NO_INVOICE = {"invoice_type": "none", "delivery": "email"}
UNIT_INVOICE = {
    "invoice_type": "unit",
    "unit_name": "南京市玄武区机关事务管理局",
    "tax_id": "11100000000013127D",
    "delivery": "email",
    "email": "zw@example.cn",
}


def checkout(client, *classes, **invoice):
    data = {"classes": ",".join(str(c.pk) for c in classes), **(invoice or NO_INVOICE)}
    return client.post(reverse("orders:checkout"), data)


def place(client, *classes, **invoice) -> Order:
    response = checkout(client, *classes, **invoice)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Order.objects.get(number=response.url.split("/")[-3])
