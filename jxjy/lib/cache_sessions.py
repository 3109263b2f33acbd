"""Sessions in the cache (Redis), like Django's cache back end, except that a Redis outage is an outage.

Django's cache sessions treat any error reading the session as "no session": while Redis is down every learner
would be signed out (the player's heartbeat told 登录已过期 and stopped, the session cookie deleted). Here a lost
connection is raised instead, so the request is answered with the calm 503 (jxjy.lib.outage) and the learner is
still signed in once Redis is back.

`raw_key` / `preload`: the heartbeat's fast path reads the session's value in the same Redis script as the learner's
playback state and hands it over here, so the session is not read a second time (jxjy.learning.fastpath).
"""

import redis.exceptions
from django.contrib.sessions.backends import cache

_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class SessionStore(cache.SessionStore):
    def load(self):
        try:
            session_data = self._cache.get(self.cache_key)
        except _DOWN:
            raise
        except Exception:  # an invalid key, as in Django's: start afresh
            session_data = None
        if session_data is not None:
            return session_data
        self._session_key = None
        return {}

    # --- read by someone else (the heartbeat's fast path reads the session in one Redis script with other keys) ---

    def stored_at(self) -> str | None:
        """The Redis server (URL) the session is stored on, if its cache is the project's Redis cache."""
        return getattr(self._cache, "location", None)

    def raw_key(self) -> str:
        """The Redis key this session is stored under (on `stored_at()`)."""
        return self._cache.raw_key(self.cache_key)

    def preload(self, raw: bytes | None) -> None:
        """Take the stored value the caller read from `raw_key()` (None: no such session), as `load` would have."""
        try:
            self._session_cache = self._cache.decode(raw) if raw is not None else None
        except Exception:  # a value that is not a session, as in load: start afresh
            self._session_cache = None
        if self._session_cache is None:
            self._session_cache = {}
            self._session_key = None
