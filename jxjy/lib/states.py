"""One way to move a row through its state machine.

Every model with a state keeps its legal moves in `TRANSITIONS = {from: {to, …}}`; its service calls `move`, which
locks the row, returns quietly when it is already there, refuses a move the table forbids, saves only the fields it
changed and tells the audit log (through `state_moved`, which the audit app receives: lib imports nothing above it).

    with transaction.atomic():
        order, before = move(order, OrderStatus.PAID, event="order.transition", actor=actor, paid_at=now)
        if before is None:
            return order            # already paid: nothing more to do
        …side effects of the move, in the same transaction…
"""

from django.db import transaction
from django.dispatch import Signal

from .errors import UserError

# sender=the model class; instance, field, before, after, event, actor, detail (dict of plain strings).
state_moved = Signal()


class IllegalMove(UserError):
    def __init__(self, message: str):
        super().__init__(message, status=409)


def refused(instance, field: str, to) -> str:
    """「订单已支付，不能变为已关闭。」 — the default sentence for a forbidden move."""
    now = getattr(instance, f"get_{field}_display")()
    target = dict(instance._meta.get_field(field).choices).get(to, to)
    return f"{instance._meta.verbose_name}当前为“{now}”，不能变为“{target}”。"


def move(
    instance,
    to,
    *,
    event: str,
    actor=None,
    field: str = "status",
    message: str | None = None,
    detail: dict | None = None,
    **changes,
):
    """Move `instance` to `to` and set `changes` with it; returns (the locked, saved row, the state it left) — or
    (the locked row, None) when it was already in `to`. Raises IllegalMove (409) with `message` or the default
    sentence when `TRANSITIONS` forbids the move. Runs in (or opens) a transaction; the row stays locked until the
    caller's transaction ends, so side effects in the same block see no concurrent move."""
    model = type(instance)
    with transaction.atomic():
        locked = model._default_manager.select_for_update().get(pk=instance.pk)
        before = getattr(locked, field)
        if before == to:
            return locked, None
        if to not in model.TRANSITIONS.get(before, ()):
            raise IllegalMove(message or refused(locked, field, to))
        setattr(locked, field, to)
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.save(update_fields=[field, *changes])
        state_moved.send(
            sender=model,
            instance=locked,
            field=field,
            before=before,
            after=to,
            event=event,
            actor=actor,
            detail=dict(detail or {}),
        )
    return locked, before
