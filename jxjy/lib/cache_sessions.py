"""Sessions in the cache (Redis), like Django's cache back end, except that a Redis outage is an outage.

Django's cache sessions treat any error reading the session as "no session": while Redis is down every learner
would be signed out (the player's heartbeat told 登录已过期 and stopped, the session cookie deleted). Here a lost
connection is raised instead, so the request is answered with the calm 503 (jxjy.lib.outage) and the learner is
still signed in once Redis is back.
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
