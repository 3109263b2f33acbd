"""站内消息: the learner's own messages (accounts.Message). Opening one marks it read; nobody else's is reachable."""

from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from jxjy.lib.paging import paginate

from .decorators import learner_required
from .models import Message


@require_safe
@never_cache
@learner_required
def message_list(request):
    page = paginate(request, Message.objects.filter(learner=request.user).only("title", "created_at", "read_at"))
    return render(request, "accounts/messages.html", {"page": page, "menu": "messages", "menu_title": "站内消息"})


@never_cache
@learner_required
def message_detail(request, pk: int):
    """Someone else's message is a 404 whatever the method (nothing tells it exists); one's own is read-only."""
    message = get_object_or_404(Message, pk=pk, learner=request.user)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    if message.mark_read() and request.user.unread_messages:
        request.user.unread_messages -= 1  # this page's header already shows the lower count
    return render(request, "accounts/message.html", {"message": message, "menu": "messages", "menu_title": "站内消息"})
