"""``config.throttling.reserve`` on Redis in one round trip (a Lua script).

The Python version takes three or four round trips per bucket (read the window start, add
the counter, check it exists, increment it), so a request with two throttles paid about
eight. This script does the same steps, with the same keys and values (Django's cache key
of each name, integers stored as plain Redis integers, which is how Django's Redis backend
stores ints), atomically, for every bucket of the call at once. ``release`` and ``reset``
keep working on the same keys through the cache API.

Used only when the default cache is Django's ``RedisCache`` (or a subclass); its
``LOCATION`` is where the script runs (one client per process; redis-py's pool is
fork-safe).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import redis
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache, RedisSerializer

# KEYS[1..n]: the cache key of bucket i's window start, then the keys to read; ARGV: now,
# n, then per bucket the cache key of its counter name (without the ":<since>" suffix), its
# limit and its window (seconds). Returns {waits, values}: one wait (seconds) per bucket, 0
# when within the limit, and the values of the keys to read (MGET). When any bucket is
# over, every increment of this call is given back, as ``reserve`` does.
_RESERVE = """
local now = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local waits, counters, over = {}, {}, false
for i = 1, n do
  local base = ARGV[3 + (i - 1) * 3]
  local limit = tonumber(ARGV[4 + (i - 1) * 3])
  local window = tonumber(ARGV[5 + (i - 1) * 3])
  local since = tonumber(redis.call('GET', KEYS[i]))
  if not since then
    redis.call('SET', KEYS[i], now, 'EX', window, 'NX')
    since = tonumber(redis.call('GET', KEYS[i])) or now
  elseif now >= since + window then
    redis.call('SET', KEYS[i], now, 'EX', window)
    since = now
  end
  local counter = base .. ':' .. since
  redis.call('SET', counter, 0, 'EX', window, 'NX')
  local count = redis.call('INCR', counter)
  counters[i] = counter
  if count > limit then
    waits[i] = math.max(1, since + window - now)
    over = true
  else
    waits[i] = 0
  end
end
if over then
  for i = 1, #counters do
    if redis.call('EXISTS', counters[i]) == 1 then redis.call('DECR', counters[i]) end
  end
end
local values = {}
if #KEYS > n then values = redis.call('MGET', unpack(KEYS, n + 1)) end
return {waits, values}
"""

# How Django's Redis backend stores values (ints plain, anything else pickled).
_serializer = RedisSerializer()
_lock = threading.Lock()
_script = None
_location = None


def enabled() -> bool:
    """The default cache is Django's Redis backend (or a subclass)."""
    return isinstance(caches["default"], RedisCache)


def _reserve_script():
    global _script, _location
    location = settings.CACHES["default"]["LOCATION"]
    if isinstance(location, list | tuple):
        location = location[0]
    if _script is None or _location != location:
        with _lock:
            client = redis.Redis.from_url(location)
            _script, _location = client.register_script(_RESERVE), location
    return _script


def reserve_and_read(buckets: Sequence, now: int, read: Sequence[str] = ()) -> tuple[list, dict]:
    """One wait per bucket (0 = allowed), all buckets counted in one atomic call, and the
    cache values of the keys ``read`` (as ``cache.get_many`` answers: missing keys left
    out), in the same round trip."""
    keys = [cache.make_key(f"{b.key}:since") for b in buckets]
    keys += [cache.make_key(key) for key in read]
    args: list = [now, len(buckets)]
    for b in buckets:
        args += [cache.make_key(b.key), b.limit, b.window]
    waits, values = _reserve_script()(keys=keys, args=args)
    found = {
        key: _serializer.loads(value)
        for key, value in zip(read, values, strict=True)
        if value is not None
    }
    return [int(w) for w in waits], found
