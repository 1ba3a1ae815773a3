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
on). Here one script counts the attempt and reads the accepted counters, and one counts an
accepted rating: two round trips. Redis unreachable: the counts go to this process's memory
meanwhile, as Flask-Limiter's in-memory fallback does, and Redis is tried again after
REDIS_RETRY_SECONDS.
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

# KEYS: the counters to count now, then the counters only to read. ARGV[1]: how many to count;
# then each key's allowance and window in seconds. Answers {0, 0} when every counter is within
# its allowance, else {the first refusing key's position, its window's seconds left}.
CHECK_SCRIPT = """
local counted = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local amount = tonumber(ARGV[2 * i])
  if i <= counted then
    local value = redis.call('INCR', key)
    if value == 1 then redis.call('EXPIRE', key, ARGV[2 * i + 1]) end
    if value > amount then return {i, redis.call('TTL', key)} end
  elseif tonumber(redis.call('GET', key) or '0') >= amount then
    return {i, redis.call('TTL', key)}
  end
end
return {0, 0}
"""
# KEYS: the counters to count; ARGV: each one's window in seconds.
COUNT_SCRIPT = """
for i, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then redis.call('EXPIRE', key, ARGV[i]) end
end
return 0
"""


@functools.lru_cache(maxsize=32)
def _items(setting):
    """The parsed limits of one setting ("30 per day", "5 per minute;20 per hour")."""
    return tuple(parse_many(setting))


@functools.lru_cache(maxsize=4)
def _scripts(storage):
    """(check, count) Lua scripts registered on ``storage``'s Redis client (EVALSHA, loaded on first use)."""
    client = storage.get_connection()
    return client.register_script(CHECK_SCRIPT), client.register_script(COUNT_SCRIPT)


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
    """This request's three counters: ``check()`` before the view, ``count_accepted()`` after a 201."""

    def __init__(self, config):
        address, rater = get_remote_address(), rater_limit_key()

        def counters(setting, scope, who):
            return [(item, item.key_for(scope, who)) for item in _items(config[setting])]

        self.attempts = counters("RATING_ATTEMPT_LIMIT_IP", "rating-attempts", address)
        self.accepted = (counters("RATING_RATE_LIMIT_RATER", "rating-accepted-rater", rater)
                         + counters("RATING_RATE_LIMIT_IP", "rating-accepted-ip", address))

    def check(self):
        """Count the attempt; 429 (with Retry-After) when it or an accepted-ratings counter is over."""
        retry_after = self._in_storage(self._check_redis, self._check_memory)
        if retry_after is not None:
            raise TooManyRequests(retry_after=max(1, retry_after))

    def count_accepted(self):
        """Count an accepted rating against the rater's and the address's allowances."""
        self._in_storage(self._count_redis, self._count_memory)

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

    def _check_redis(self, storage):
        counters = self.attempts + self.accepted
        args = [len(self.attempts)]
        for item, _ in counters:
            args += [item.amount, item.get_expiry()]
        refused, seconds_left = _scripts(storage)[0](keys=[storage.prefixed_key(key) for _, key in counters],
                                                      args=args)
        return seconds_left if refused else None

    def _count_redis(self, storage):
        _scripts(storage)[1](keys=[storage.prefixed_key(key) for _, key in self.accepted],
                             args=[item.get_expiry() for item, _ in self.accepted])

    def _check_memory(self, storage):
        refused = next((key for item, key in self.attempts if storage.incr(key, item.get_expiry()) > item.amount),
                       None)
        refused = refused or next((key for item, key in self.accepted if storage.get(key) >= item.amount), None)
        return None if refused is None else math.ceil(storage.get_expiry(refused) - time.time())

    def _count_memory(self, storage):
        for item, key in self.accepted:
            storage.incr(key, item.get_expiry())


def rating_limits(view):
    """Cap every attempt per address, and accepted ratings per rater and per address."""
    @functools.wraps(view)
    def limited(*args, **kwargs):
        if not limiter.enabled:
            return view(*args, **kwargs)
        budget = RatingBudget(current_app.config)
        budget.check()
        response = current_app.make_response(view(*args, **kwargs))
        if response.status_code == 201:
            budget.count_accepted()
        return response

    return limited
