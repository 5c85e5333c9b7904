"""Django's Redis cache backend, reusing one client object per connection pool.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` object for every cache
operation. The connection pool is shared, but the object's constructor is not free: profiled
on the token endpoint it was the largest single cost of each cache read (session, key-set
version, read-cache versions; docs/benchmarks.md). A ``redis.Redis`` object is safe to
share between threads (each command takes a connection from the pool), so one per pool is
kept. Everything else is Django's backend unchanged (``_class`` is the backend's own hook
for its client class).
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _ReusingClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ReusingClient
