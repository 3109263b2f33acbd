"""What learning tells the apps downstream of it (they may not be imported from here)."""

from django.dispatch import Signal

# Sent when a refund closed an enrollment (inside the refund's transaction), with `enrollment` and `actor`.
enrollment_refunded = Signal()
