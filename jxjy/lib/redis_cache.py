"""Django's Redis cache, with one redis-py client per connection pool instead of one per call.

Django's RedisCacheClient.get_client() builds a new `redis.Redis` around the pooled connections on every cache call,
and redis-py's constructor sets up its whole table of response callbacks each time: on the heartbeat's fast path that
constructor was the largest single cost of reading the session (a cProfile of the in-process heartbeat, issue 17).
A `redis.Redis` is safe to share between threads (each command takes a connection from the pool), so one per pool
is kept. Nothing else changes: the same keys, the same serializer, the same pools.

`raw_key` and `decode` let the heartbeat's fast path read a session in the same Redis script as the playback state
(one round trip instead of two), with the cache's own key and serializer.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class SharedClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClient

    @property
    def location(self) -> str | None:
        """The one Redis server this cache uses (None with several: replicas, shards)."""
        return self._servers[0] if len(self._servers) == 1 else None

    def raw_key(self, key: str) -> str:
        """The Redis key a cache key is stored under (prefix and version), for a caller that reads it in a script."""
        return self.make_and_validate_key(key)

    def decode(self, raw: bytes):
        """A value read straight from Redis, as `get` would return it."""
        return self._cache._serializer.loads(raw)
