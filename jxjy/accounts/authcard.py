"""The auth card: what the heartbeat's fast path needs to know of a signed-in learner without loading the User row.

Django's AuthenticationMiddleware reads the User from PostgreSQL on every request to check that the session's auth
hash still matches the account (a password change or 强制下线 ends every other session) and that the account may
still sign in. For the heartbeat — four requests a minute from every learner watching — that row is the most expensive
part of the request. The card is the answer to those questions, kept in Redis beside the playback state:

    card:<user id> = the account's current session auth hash
    card:s:<session key> = the user id the session belongs to (a hint, so one Redis script reads all it needs)

and written only for an account that is an active learner with a verified mobile (so a card that exists means "this
learner may beat with a session holding this hash"; anyone else never has one and always takes the full stack).

A card is written by the full stack (the heartbeat view, which has just loaded and checked the User) with SET NX and
lives HEARTBEAT_AUTH_CARD_TTL seconds. Every change that could alter its answer — a save touching the password, the
session generation, 允许登录, the role or staff flags, the verified mobile; `end_sessions()`; the account deleted —
replaces it with a tombstone at once and again when the transaction commits. The tombstone lives
HEARTBEAT_AUTH_CARD_TOMBSTONE seconds, so a request that loaded the User just before the change cannot write a stale
card just after it (NX fails on the tombstone); after that the next full-stack beat writes the new card.

Without Redis (development, the SQLite test run) the same contract runs in process memory.
"""

import threading
import time

from django.conf import settings
from django.db import transaction
from django.utils.crypto import constant_time_compare

TOMBSTONE = "-"
# Fields whose change can change a card's answer (the session auth hash, or whether the account may have a card).
FIELDS = frozenset(
    {"password", "session_generation", "is_active", "role", "is_staff", "is_superuser", "mobile_verified_at"}
)


def key(user_id) -> str:
    return f"{settings.HEARTBEAT_AUTH_CARD_PREFIX}{user_id}"


def session_key(session: str) -> str:
    """Which user a session (by its key) belongs to — a hint only, so the fast path can read the session, the card and
    the playback state in one round trip; the session itself is still what says who is signed in."""
    return f"{settings.HEARTBEAT_AUTH_CARD_PREFIX}s:{session}"


def eligible(user) -> bool:
    """Only an active learner who may use the platform (verified mobile) gets a card."""
    return user.is_active and user.is_learner and not user.needs_mobile


def matches(card: str | None, session_hash: str) -> bool:
    """Whether the card vouches for a session holding `session_hash` (constant time; a tombstone vouches for none)."""
    return bool(card and session_hash) and card != TOMBSTONE and constant_time_compare(card, session_hash)


def remember(user, session: str | None = None) -> None:
    """Write the card of a user the full stack has just loaded and verified (no-op if one or a tombstone is there),
    and which user the request's session belongs to."""
    if eligible(user):
        _backend().add(key(user.pk), user.get_session_auth_hash(), settings.HEARTBEAT_AUTH_CARD_TTL)
        if session:
            _backend().put(session_key(session), str(user.pk), settings.SESSION_COOKIE_AGE)


def forget(user_id) -> None:
    """The account changed: no card for it now, none written from a User loaded before the change (the tombstone),
    and the same again once the change commits."""
    _backend().bury(key(user_id))
    transaction.on_commit(lambda: _backend().bury(key(user_id)))


def read(user_id) -> str | None:
    return _backend().get(key(user_id))


def clear() -> None:
    _backend().clear()


class _RedisCards:
    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url)

    def add(self, name, value, ttl):
        self.client.set(name, value, ex=ttl, nx=True)

    def put(self, name, value, ttl):
        self.client.set(name, value, ex=ttl)

    def bury(self, name):
        self.client.set(name, TOMBSTONE, ex=settings.HEARTBEAT_AUTH_CARD_TOMBSTONE)

    def get(self, name):
        value = self.client.get(name)
        return value.decode() if value is not None else None

    def clear(self):
        keys = list(self.client.scan_iter(match=f"{settings.HEARTBEAT_AUTH_CARD_PREFIX}*", count=1000))
        if keys:
            self.client.delete(*keys)


class _LocalCards:
    """The same contract in process memory (values with their expiry time)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.values: dict[str, tuple[str, float]] = {}

    def add(self, name, value, ttl):
        with self.lock:
            if self._live(name) is None:
                self.values[name] = (value, time.monotonic() + ttl)

    def put(self, name, value, ttl):
        with self.lock:
            self.values[name] = (value, time.monotonic() + ttl)

    def bury(self, name):
        with self.lock:
            self.values[name] = (TOMBSTONE, time.monotonic() + settings.HEARTBEAT_AUTH_CARD_TOMBSTONE)

    def get(self, name):
        with self.lock:
            return self._live(name)

    def _live(self, name):
        value, until = self.values.get(name, (None, 0.0))
        return value if until > time.monotonic() else None

    def clear(self):
        with self.lock:
            self.values.clear()


_cards = None
_cards_lock = threading.Lock()


def _backend():
    """The process's card store, made on first use (after gunicorn forks)."""
    global _cards
    if _cards is None:
        with _cards_lock:
            if _cards is None:
                _cards = _RedisCards(settings.REDIS_URL) if settings.REDIS_URL else _LocalCards()
    return _cards
