"""Flood limits on rating submissions: one budget shared by POST /api/v1/ratings and the H5 form.

Three fixed windows, read from the config on every request (a deployment or a test changes
them without a restart) and parsed by ``limits`` as Flask-Limiter's own limits are:

- every attempt, refused or not, per client address (RATING_ATTEMPT_LIMIT_IP);
- accepted ratings (a 201, from the API or the form) per rater, WeChat user or H5 device
  (RATING_RATE_LIMIT_RATER), and per client address (RATING_RATE_LIMIT_IP).

The counters are shared by both routes, so a script cannot double its allowance by alternating
between the API and the form page. They live where Flask-Limiter keeps its counters (its
storage: Redis with REDIS_URL, else this process's memory, cleared by ``limiter.reset()``).

Flask-Limiter's decorators spent five Redis round trips on each rating (counting the attempt and
reading both accepted counters before the view, counting two after a 201); with its per-request
bookkeeping that was a third of a rating's CPU (benchmarks/bench_requests.py, limits off and
on). Here, before the view, one script counts the attempt and reserves the rating in both
accepted counters (when one is over, it gives back what it took and refuses); a rating that is
not accepted (any answer but a 201, an error included) gives its reservation back after the
view. One round trip per accepted rating, two for one refused by the view. Reserving first also
means that a rater's concurrent requests cannot all pass a counter with room for one; the price
is a reservation kept when a worker dies mid-request (the allowance errs on the strict side).
Redis unreachable: the counts go to this process's memory meanwhile, as Flask-Limiter's
in-memory fallback does, and Redis is tried again after REDIS_RETRY_SECONDS (a reservation
taken in Redis and given back while it is down stays taken, strict again).
"""
import functools
import logging
import math
import threading
import time

from flask import current_app
from flask_limiter.util import get_remote_address
from limits import parse_many
from limits.storage import MemoryStorage, RedisStorage
from werkzeug.exceptions import TooManyRequests

from server.extensions import limiter
from server.ratings.services import rater_limit_key

log = logging.getLogger(__name__)

REDIS_RETRY_SECONDS = 30

# KEYS: the attempt counters, then the accepted-rating counters. ARGV[1]: how many attempt
# counters; then each key's allowance and window in seconds. Every counter is counted in order;
# at the first one over its allowance the accepted-rating counters counted so far are given back.
# Answers {0, 0} when all are within their allowances, else {that key's position, its seconds left}.
RESERVE_SCRIPT = """
local attempts = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local value = redis.call('INCR', key)
  if value == 1 then redis.call('EXPIRE', key, ARGV[2 * i + 1]) end
  if value > tonumber(ARGV[2 * i]) then
    for j = attempts + 1, i do redis.call('DECR', KEYS[j]) end
    return {i, redis.call('TTL', key)}
  end
end
return {0, 0}
"""
# KEYS: the accepted-rating counters to give a reservation back to (one that expired meanwhile is left).
RELEASE_SCRIPT = """
for _, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') > 0 then redis.call('DECR', key) end
end
return 0
"""


@functools.lru_cache(maxsize=32)
def _items(setting):
    """The parsed limits of one setting ("30 per day", "5 per minute;20 per hour")."""
    return tuple(parse_many(setting))


@functools.lru_cache(maxsize=4)
def _scripts(storage):
    """(reserve, release) Lua scripts registered on ``storage``'s Redis client (EVALSHA, loaded on first use)."""
    client = storage.get_connection()
    return client.register_script(RESERVE_SCRIPT), client.register_script(RELEASE_SCRIPT)


class _Fallback:
    """This process's memory while Redis is unreachable, and until when Redis is left alone."""

    storage = None
    redis_down_until = 0.0
    made = threading.Lock()

    @classmethod
    def memory(cls):
        """The memory storage, made on first need (after gunicorn's fork: it runs a timer thread)
        and once only, though several threads (gthread workers) meet Redis down at once."""
        if cls.storage is None:
            with cls.made:
                if cls.storage is None:
                    cls.storage = MemoryStorage()
        return cls.storage


class RatingBudget:
    """This request's three counters: ``reserve()`` before the view, ``release()`` unless it answered 201."""

    def __init__(self, config):
        address, rater = get_remote_address(), rater_limit_key()

        def counters(setting, scope, who):
            return [(item, item.key_for(scope, who)) for item in _items(config[setting])]

        self.attempts = counters("RATING_ATTEMPT_LIMIT_IP", "rating-attempts", address)
        self.accepted = (counters("RATING_RATE_LIMIT_RATER", "rating-accepted-rater", rater)
                         + counters("RATING_RATE_LIMIT_IP", "rating-accepted-ip", address))

    def reserve(self):
        """Count the attempt and take the rating from the rater's and the address's allowances;
        429 (with Retry-After) when one is spent, taking nothing from the others."""
        retry_after = self._in_storage(self._reserve_redis, self._reserve_memory)
        if retry_after is not None:
            raise TooManyRequests(retry_after=max(1, retry_after))

    def release(self):
        """Give the reserved rating back to both allowances: it was not accepted."""
        self._in_storage(self._release_redis, self._release_memory)

    def _in_storage(self, on_redis, in_memory):
        storage = limiter.storage
        if not isinstance(storage, RedisStorage):
            return in_memory(storage)
        if time.monotonic() >= _Fallback.redis_down_until:
            try:
                return on_redis(storage)
            except storage.base_exceptions:
                log.warning("rate limit storage unreachable: rating limits count in this process's memory for %d s",
                            REDIS_RETRY_SECONDS, exc_info=True)
                _Fallback.redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS
        return in_memory(_Fallback.memory())

    def _reserve_redis(self, storage):
        counters = self.attempts + self.accepted
        args = [len(self.attempts)]
        for item, _ in counters:
            args += [item.amount, item.get_expiry()]
        refused, seconds_left = _scripts(storage)[0](keys=[storage.prefixed_key(key) for _, key in counters],
                                                      args=args)
        return seconds_left if refused else None

    def _release_redis(self, storage):
        _scripts(storage)[1](keys=[storage.prefixed_key(key) for _, key in self.accepted])

    def _reserve_memory(self, storage):
        for item, key in self.attempts:
            if storage.incr(key, item.get_expiry()) > item.amount:
                return math.ceil(storage.get_expiry(key) - time.time())
        for taken, (item, key) in enumerate(self.accepted):
            if storage.incr(key, item.get_expiry()) > item.amount:
                for _, earlier in self.accepted[:taken + 1]:
                    storage.decr(earlier)
                return math.ceil(storage.get_expiry(key) - time.time())
        return None

    def _release_memory(self, storage):
        for _, key in self.accepted:
            if storage.get(key) > 0:
                storage.decr(key)


def rating_limits(view):
    """Cap every attempt per address, and accepted ratings per rater and per address."""
    @functools.wraps(view)
    def limited(*args, **kwargs):
        if not limiter.enabled:
            return view(*args, **kwargs)
        budget = RatingBudget(current_app.config)
        budget.reserve()
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except BaseException:
            budget.release()
            raise
        if response.status_code != 201:
            budget.release()
        return response

    return limited
