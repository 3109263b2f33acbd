from jxjy.lib.request_context import current_request, request_id

from .models import AuditRecord, Event


def client_ip(request):
    """The client address as the trusted proxy chain reports it (REMOTE_ADDR behind nginx's real_ip)."""
    return request.META.get("REMOTE_ADDR") if request is not None else None


def record(event, *, actor=None, request=None, obj=None, result="ok", **detail):
    """Write one audit record. `detail` must never carry secrets or full personal numbers.

    Services pass no request: inside one, the request context (jxjy.lib.request_context, set by RequestIdMiddleware)
    gives the client's address, the request id and — when no `actor` is named — the signed-in user; outside one
    (a task, a command) the record has none of them."""
    if request is None:
        request = current_request.get()
    user = getattr(request, "user", None)
    if actor is None and user is not None and user.is_authenticated:
        actor = user
    if event == Event.ACCESS_DENIED and request is not None:
        request.access_denied_recorded = True  # NotFoundAuditMiddleware writes no second record
    return AuditRecord.objects.create(
        event=event,
        result=result,
        actor=actor,
        actor_role=getattr(actor, "role", "") or "",
        actor_city=getattr(actor, "city_id", "") or "",
        ip=client_ip(request),
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        request_id=request_id.get() if request_id.get() != "-" else "",
        detail=detail,
    )
