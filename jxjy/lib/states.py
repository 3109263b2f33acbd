"""One way to move a row through its state machine.

Every model with a state keeps its legal moves in `TRANSITIONS = {from: {to, …}}`; its service calls `move`, which
locks the row, returns quietly when it is already there, refuses a move the table forbids, saves only the fields it
changed and tells the audit log (through `state_moved`, which the audit app receives: lib imports nothing above it).

    with transaction.atomic():
        order, before = move(order, OrderStatus.PAID, event=Event.ORDER_TRANSITION, actor=actor, paid_at=now)
        if before is None:
            return order            # already paid: nothing more to do
        …side effects of the move, in the same transaction…

A side effect that fails after the move raises inside the caller's transaction, which takes the move and its audit
record back with it.
"""

from collections.abc import Callable

from django.db import transaction
from django.dispatch import Signal

from .errors import UserError

# sender=the model class; instance (the moved row), obj (what the audit record names: the row unless the caller
# named another), field, before, after, event, actor, detail (a dict of JSON values).
state_moved = Signal()


class IllegalMove(UserError):
    def __init__(self, message: str):
        super().__init__(message, status=409)


def state_label(instance, field: str, value) -> str:
    return str(dict(instance._meta.get_field(field).flatchoices).get(value, value))


def refused(instance, field: str, to) -> str:
    """「订单当前为“已支付”，不能变为“已关闭”。」 — the default sentence for a forbidden move."""
    now, target = state_label(instance, field, getattr(instance, field)), state_label(instance, field, to)
    return f"{instance._meta.verbose_name}当前为“{now}”，不能变为“{target}”。"


def move(
    instance,
    to,
    *,
    event: str,
    actor=None,
    field: str = "status",
    message: str | None = None,
    detail: dict | Callable[..., dict] | None = None,
    about=None,
    **changes,
):
    """Move `instance` to `to` and set `changes` with it; returns (the locked, saved row, the state it left) — or
    (the locked row, None) when it was already in `to`. Runs in (or opens) a transaction; the row stays locked until
    the caller's transaction ends, so side effects in the same block see no concurrent move.

    A move `TRANSITIONS` forbids raises IllegalMove (409) with `message` — where `{state}` in it names the row's
    state as it was found locked — or the default sentence. The audit record names `about` (default: the row) and
    carries `detail`; `detail` may be a function of the saved row, called after the save, for work whose outcome
    the record reports (办理注销 lists what it erased) and which must run only once the move is known to be legal.
    An empty `event` writes no record: for a step of a workflow that writes its own one record."""
    model = type(instance)
    with transaction.atomic():
        locked = model._default_manager.select_for_update().get(pk=instance.pk)
        before = getattr(locked, field)
        if before == to:
            return locked, None
        if to not in model.TRANSITIONS.get(before, ()):
            if message is None:
                raise IllegalMove(refused(locked, field, to))
            raise IllegalMove(message.replace("{state}", state_label(locked, field, before)))
        setattr(locked, field, to)
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.save(update_fields=[field, *changes])
        state_moved.send(
            sender=model,
            instance=locked,
            obj=locked if about is None else about,
            field=field,
            before=before,
            after=to,
            event=event,
            actor=actor,
            detail=dict((detail(locked) if callable(detail) else detail) or {}),
        )
    return locked, before
