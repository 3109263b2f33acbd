"""Input no page of ours can take is refused at the edge with a plain 400, before any view sees it.

PostgreSQL refuses a NUL character in text, and no database driver can encode a lone surrogate, so such a value
reaching a query is a 500 (or, before this guard, a notification or a sign-in lost). Form fields already have
Django's ProhibitNullCharactersValidator, but views that read `request.POST`, `request.GET`, a JSON body or a URL
argument directly do not. The rule, for every request: a NUL or a lone surrogate anywhere in the path, the query
string, a form field's name or value, an uploaded file's name, a JSON body's strings or a header → 400; an id in
the path beyond any row's → 404. A body
that cannot be read as declared (a charset nobody knows, bytes that are not that charset, a broken multipart
body, too many fields) → 400; a body over DATA_UPLOAD_MAX_MEMORY_SIZE → 413. Either way the answer says in plain
Chinese what to do, as JSON to the player and the other scripts, as a page to a browser."""

import codecs
import json

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, JsonResponse, RawPostDataException
from django.http.multipartparser import MultiPartParserError

from .outage import plain_page, wants_json

# No row of ours will ever have an id past PostgreSQL's integer; a larger one in a path would only overflow a query.
MAX_ID = 2**31 - 1
BAD_INPUT = "提交的内容中有无法识别的字符，请检查填写的内容后重新提交。"
TOO_LARGE = "提交的内容太大，请减少内容或换一个较小的文件后重新提交。"
UNREADABLE = "提交的内容无法识别，请刷新页面后重新提交。"

# Bodies parsed into request.POST by Django; any other body is read as bytes, up to RAW_BODY_INSPECT_MAX (a gateway's
# notification is a few KB; a larger raw body is left unread for the view to refuse by its size).
RAW_BODY_INSPECT_MAX = 256 * 1024
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# The most a refused body is read (and dropped) before answering: above nginx's client_max_body_size (20 MB).
DRAIN_MAX = 32 * 1024 * 1024


def bad_text(value: str) -> bool:
    """True when `value` holds a NUL or a lone surrogate (text no database column can store)."""
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _bad_json(value) -> bool:
    if isinstance(value, str):
        return bad_text(value)
    if isinstance(value, list):
        return any(_bad_json(item) for item in value)
    if isinstance(value, dict):
        return any(bad_text(key) or _bad_json(item) for key, item in value.items())
    return False


def _bad_query(query) -> bool:
    return any(bad_text(key) or any(bad_text(value) for value in values) for key, values in query.lists())


class InputHygieneMiddleware:
    """Refuses (400/413) a request carrying text no page of ours can store or a body that cannot be read, before
    sessions, sign-in or any view touch it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = self.problem(request)
        if problem:
            status, message = problem
            return refusal(request, status, message)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        """An id in the path (`<int:pk>`) larger than any row can have names nothing: 404, before a query overflows
        the column (SQLite's 64-bit integers, PostgreSQL's "integer out of range")."""
        for value in (*view_args, *view_kwargs.values()):
            if isinstance(value, int) and not isinstance(value, bool) and not 0 <= value <= MAX_ID:
                raise Http404("no such id")
        return None

    def problem(self, request):
        """(status, message) for a request to refuse, else None."""
        if bad_text(request.path) or bad_text(request.path_info):
            return 400, BAD_INPUT
        for key, value in request.META.items():
            if key.startswith("HTTP_") and isinstance(value, str) and "\x00" in value:
                return 400, BAD_INPUT
        try:
            if _bad_query(request.GET):
                return 400, BAD_INPUT
            if request.method in ("GET", "HEAD", "OPTIONS"):
                return None
            return self.body_problem(request)
        except RequestDataTooBig:
            request._mark_post_parse_error()
            _drain(request)
            return 413, TOO_LARGE
        except (BadRequest, SuspiciousOperation, MultiPartParserError, UnicodeError, ValueError):
            # TooManyFieldsSent, TooManyFilesSent, a broken multipart body, bytes that are not the declared charset.
            request._mark_post_parse_error()
            return 400, UNREADABLE

    def body_problem(self, request):
        content_type = request.content_type or ""
        charset = request.content_params.get("charset")
        if charset:
            try:
                if codecs.lookup(charset).name != "utf-8":
                    # Browsers send forms as UTF-8 (every page says so); Django silently ignores a charset it does
                    # not know and decodes others into text no view expects.
                    return 400, UNREADABLE
            except LookupError:
                return 400, UNREADABLE
        length = _content_length(request)
        if content_type in _FORM_TYPES:
            if content_type == "multipart/form-data" and length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
                body = None  # an upload: streamed to disk by Django, never held in memory here
            else:
                body = request.body  # kept, so a view that reads the raw body still can
            if body is not None and content_type == "application/x-www-form-urlencoded":
                body.decode("utf-8")  # UnicodeDecodeError → 400: a form of ours is always UTF-8
            if _bad_query(request.POST):
                return 400, BAD_INPUT
            for name, files in request.FILES.lists():
                if bad_text(name) or any(bad_text(upload.name or "") for upload in files):
                    return 400, BAD_INPUT
            return None
        if length > RAW_BODY_INSPECT_MAX:
            return None  # left unread: the one view that reads a raw body (支付通知) refuses this size unread itself
        try:
            body = request.body
        except RawPostDataException:  # already parsed by someone before us
            return None
        if b"\x00" in body:
            return 400, BAD_INPUT
        if "json" in content_type and b"\\u" in body:  # only an escape can smuggle a NUL or a lone surrogate in
            try:
                data = json.loads(body)
            except ValueError:
                return None  # not JSON at all: the view answers that itself
            if _bad_json(data):
                return 400, BAD_INPUT
        return None


def _drain(request) -> None:
    """Read and drop a refused body that nobody read: a server that answers while the client (or nginx, which
    sends the whole buffered body) is still sending and then closes the connection makes the sender's write fail —
    a dropped connection for a browser, a 502 from nginx — instead of the 413 it was answered. Bodies larger than
    nginx ever passes on (DRAIN_MAX) are not read: their sender is not ours."""
    if _content_length(request) > DRAIN_MAX:
        return
    try:
        while request.read(64 * 1024):
            pass
    except (OSError, RawPostDataException):  # the client went away, or someone read it after all
        pass


def _content_length(request) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def refusal(request, status: int, message: str):
    """The refusal, as JSON `{"error": …}` (the player's and the other scripts' shape) or as the error pages' plain
    page, which needs no database, session or signed-in user (none has been looked at yet)."""
    if wants_json(request):
        return JsonResponse({"error": message}, status=status, json_dumps_params={"ensure_ascii": False})
    return plain_page(request, "400_bad_input.html", status, {"message": message, "status": status})
