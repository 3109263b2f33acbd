"""The heartbeat's fast path: an ordinary heartbeat answered without the rest of the middleware stack or the User row.

The heartbeat is the hottest request (every learner watching sends one every 15 s). Through the whole stack it
costs a session read, the User row from PostgreSQL (Django's check of the session's auth hash), the playback state
and its compare-and-set, and a dozen middlewares that have nothing to say about it. Here, right after the security
headers, an ordinary heartbeat is answered with exactly the checks those parts would have made for it:

- the host (ALLOWED_HOSTS), as CommonMiddleware;
- the session (Django's SessionMiddleware: the same engine, the same cookie handling on the way out);
- sign-in: the session's user id and back end, and its auth hash against the learner's auth card
  (jxjy.accounts.authcard — the account's current hash, kept only for active learners with a verified mobile, buried
  by any change of password, 强制下线, 允许登录, role or mobile), read in one round trip with the playback state;
- the session rules of SessionTimeoutMiddleware: idle (30 min) and 12 h, the last-seen stamp once a minute;
- CSRF (Django's CsrfViewMiddleware: token and Origin), X-Frame-Options, no-store;
- the judge itself (heartbeat.heartbeat, the same function the view calls).

Anything else — no card (the first beat, or after an account change), a tombstone, a staff session, an idle or
12-hour-old session, a session without the stamps, a CSRF failure, a query string, any other method or path — is
not judged here: the request goes on through the whole stack, which answers it exactly as before (401, the
redirect to 完善手机信息, the CSRF page, the audit of an expired session …) and, for an ordinary learner, writes the
card so the next beat takes this path.
"""

import json
import time
import uuid

from django.conf import settings
from django.contrib import auth
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from jxjy.accounts import authcard
from jxjy.accounts.middleware import LAST_SEEN, SIGNED_IN_AT
from jxjy.lib import numbers, outage

from . import heartbeat, playstate

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def beat_reply(user_id: int, data, loaded=None) -> HttpResponse:
    """A heartbeat's answer (the view's and the fast path's): the numbers range-checked before they are used, then
    the judge. `loaded`: the learner's (raw, state) if already read."""
    try:  # every number range-checked before it is used or stored (one beyond a column's range stops the flush)
        session_id = uuid.UUID(numbers.one(data, "session"))
        seq = numbers.parse_int(numbers.one(data, "seq"), *heartbeat.SEQ_RANGE)
        position = numbers.parse_float(numbers.one(data, "position"), 0.0, heartbeat.POSITION_LIMIT)
    except ValueError:
        return json_response(400, {"error": heartbeat.INVALID_BEAT})
    status, reply = heartbeat.heartbeat(
        user_id=user_id,
        session_id=session_id,
        seq=seq,
        position=position,
        playing=data.get("playing") == "1",
        loaded=loaded,
    )
    return json_response(status, reply)


def json_response(status: int, reply: dict) -> HttpResponse:
    """The reply as compact JSON (plain numbers, strings and lists: the standard encoder, no Django encoder)."""
    body = json.dumps(reply, ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(body, status=status, content_type="application/json")


# One round trip for all a beat reads: the session's stored value, which user the session belongs to (a hint the
# full stack wrote), that user's auth card and playback state. KEYS: session, hint; ARGV: card and state key prefixes.
_READ = """
local session = redis.call('GET', KEYS[1])
local uid = redis.call('GET', KEYS[2])
if not session or not uid then return {session, uid, false, false} end
return {session, uid, redis.call('GET', ARGV[1] .. uid), redis.call('GET', ARGV[2] .. uid)}
"""


class HeartbeatFastPath:
    def __init__(self, get_response):
        self.get_response = get_response
        self.sessions = SessionMiddleware(get_response)
        self.csrf = CsrfViewMiddleware(get_response)
        self.frames = XFrameOptionsMiddleware(get_response)
        self.path = self.script = None

    def __call__(self, request):
        if self.path is None:
            self.path = reverse("learning:heartbeat")
        if request.method == "POST" and request.path_info == self.path and not request.META.get("QUERY_STRING"):
            try:
                response = self.answer(request)
            except Exception as exc:  # Redis or PostgreSQL down: the calm 503 the view would have given (lib.outage)
                cause = outage.outage_cause(exc)
                if cause is None:
                    raise
                return outage.outage_response(request, exc, cause)
            if response is not None:
                return response
        return self.get_response(request)

    def answer(self, request) -> HttpResponse | None:
        """The heartbeat's reply, or None for anything the whole stack must answer."""
        request.get_host()  # ALLOWED_HOSTS (DisallowedHost becomes the same 400 as through CommonMiddleware)
        found = self.read(request)
        if found is None:
            return None
        user_id, card, loaded = found
        session = request.session
        try:
            signed_in, last_seen = float(session[SIGNED_IN_AT]), float(session[LAST_SEEN])
        except (KeyError, TypeError, ValueError):
            return None
        now = time.time()
        if (
            session.get(auth.BACKEND_SESSION_KEY) != MODEL_BACKEND
            or MODEL_BACKEND not in settings.AUTHENTICATION_BACKENDS
            or now - last_seen > settings.SESSION_IDLE_TIMEOUT_LEARNER  # the card is a learner's: a learner's limits
            or now - signed_in > settings.SESSION_COOKIE_AGE
            or not authcard.matches(card, session.get(auth.HASH_SESSION_KEY, ""))
        ):
            return None
        if self.csrf.process_request(request) or self.csrf.process_view(request, None, (), {}) is not None:
            return None
        # Only if something later asks (an error report): the user as AuthenticationMiddleware would give it.
        request.user = SimpleLazyObject(lambda: auth.get_user(request))
        if now - last_seen >= 60:
            session[LAST_SEEN] = now  # as SessionTimeoutMiddleware: saved on the way out, once a minute
        response = beat_reply(user_id, request.POST, loaded)
        response["Cache-Control"] = "no-store, private"
        self.csrf.process_response(request, response)
        self.sessions.process_response(request, response)
        return self.frames.process_response(request, response)

    def read(self, request) -> tuple | None:
        """Set request.session; (user id, auth card, (raw, state)), or None if the session names no user."""
        store = playstate.store()
        session = self.sessions.SessionStore(request.COOKIES.get(settings.SESSION_COOKIE_NAME))
        if isinstance(store, playstate.RedisStore) and getattr(session, "stored_at", lambda: None)() == store.url:
            return self.read_at_once(request, store, session)
        # Sessions elsewhere (development and the SQLite tests: the database): the same answers, more reads.
        request.session = session
        try:
            user_id = int(request.session[auth.SESSION_KEY])
        except (KeyError, TypeError, ValueError):
            return None
        return user_id, authcard.read(user_id), store.get(user_id)

    def read_at_once(self, request, store, session) -> tuple | None:
        """The session, the hint, the card and the state in one round trip (sessions and state on one Redis)."""
        if session.session_key is None:  # no cookie, or not a session key
            return None
        if self.script is None:
            self.script = store.client.register_script(_READ)
        keys = [session.raw_key(), authcard.session_key(session.session_key)]
        raw, hint, card, state = self.script(keys=keys, args=[authcard.key(""), store.key("")])
        session.preload(raw)
        request.session = session
        try:
            user_id = int(session[auth.SESSION_KEY])
        except (KeyError, TypeError, ValueError):
            return None
        if hint is None or hint.decode() != str(user_id):  # the hint is only ever a hint
            return None
        return user_id, card.decode() if card is not None else None, store.decoded(state)
