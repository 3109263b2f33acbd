"""What the hours ledger tells the apps that read it."""

from django.dispatch import Signal

# Sent after post_entry added an entry (inside the caller's transaction), with `entry`: the new CreditEntry.
ledger_changed = Signal()
