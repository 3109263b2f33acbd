"""What orders tells the apps above it (they may not be imported from here) — pretix's `order_paid` shape.

Every signal is sent with sender=Order, `order` (locked, in its new state) and `lines` (its OrderLines), inside the
transaction that moves the order, so a receiver's failure undoes the move."""

from django.dispatch import Signal

# The order became 已支付: learning opens a class per line. Also `actor`.
order_paid = Signal()

# The order became 已退款: learning closes the classes the lines opened. Also `actor`.
order_refunded = Signal()

# "May these lines be refunded?", asked before a refund reaches the gateway: each receiver answers with the sentence
# refusing it, or "" — and locks what it judged until the caller's transaction ends (learning: the classes, so
# nobody begins studying one while the refund runs). `services.refund_refusal` asks.
refund_requested = Signal()
