"""WeChat's access token (getStableAccessToken), fetched once and shared until shortly before it expires.

Every server API call but login carries ``?access_token=``. WeChat limits how often a token
may be fetched, and force-refreshing one invalidates the previous token everywhere, so the
token is cached and only one caller at a time may fetch it; the others wait and reuse it.

The cache sits behind the small ``TokenCache`` interface: ``MemoryTokenCache`` serves one
process; ``RedisTokenCache`` (chosen when REDIS_URL is set) shares one token between every
worker on every host: a key with a TTL, and a Redis lock so only one process fetches.
"""
import logging
import threading
import time
from contextlib import AbstractContextManager, contextmanager

import redis
from redis.exceptions import LockError

log = logging.getLogger(__name__)

# Renew this long before WeChat's expiry, so a token is never used in its last minutes.
RENEW_BEFORE_SECONDS = 300


class TokenCache:
    """Where the access token lives between calls; subclasses decide (process memory, Redis …)."""

    def get(self, key) -> str | None:
        """The cached value of ``key``, or None when absent or expired."""
        raise NotImplementedError

    def set(self, key, value, ttl_seconds) -> None:
        """Keep ``value`` under ``key`` for ``ttl_seconds``."""
        raise NotImplementedError

    def lock(self, key) -> AbstractContextManager:
        """A lock held while one caller fetches ``key``, so concurrent callers fetch it once."""
        raise NotImplementedError


class MemoryTokenCache(TokenCache):
    """A TokenCache for one process: a dict with expiry times, and a threading.Lock per key."""

    def __init__(self):
        self._values = {}
        self._locks = {}
        self._guard = threading.Lock()

    def get(self, key):
        value, expires_at = self._values.get(key, (None, 0.0))
        return value if expires_at > time.monotonic() else None

    def set(self, key, value, ttl_seconds):
        self._values[key] = (value, time.monotonic() + ttl_seconds)

    def lock(self, key):
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())


class TokenCacheUnavailable(Exception):
    """The shared cache could not be read or locked (Redis down, or the lock not freed in time)."""


class RedisTokenCache(TokenCache):
    """A TokenCache in Redis, shared by every process: SET with EX, and a redis-py Lock.

    The lock expires by itself after ``lock_seconds`` (a worker killed mid-fetch cannot block
    the others for good); a caller waits at most ``wait_seconds`` for it, then gives up with
    TokenCacheUnavailable, as it does when Redis cannot be reached.
    """

    def __init__(self, client, *, prefix="", lock_seconds=15.0, wait_seconds=20.0):
        self.client = client
        self.prefix = prefix
        self.lock_seconds = lock_seconds
        self.wait_seconds = wait_seconds

    def get(self, key):
        try:
            value = self.client.get(self.prefix + key)
        except redis.RedisError as exc:
            raise TokenCacheUnavailable(type(exc).__name__) from exc
        return value.decode() if value else None

    def set(self, key, value, ttl_seconds):
        try:
            if int(ttl_seconds) > 0:
                self.client.set(self.prefix + key, value, ex=int(ttl_seconds))
            else:
                self.client.delete(self.prefix + key)
        except redis.RedisError as exc:
            raise TokenCacheUnavailable(type(exc).__name__) from exc

    @contextmanager
    def lock(self, key):
        lock = self.client.lock(self.prefix + key + ":lock", timeout=self.lock_seconds,
                                blocking_timeout=self.wait_seconds, sleep=0.05)
        try:
            acquired = lock.acquire()
        except redis.RedisError as exc:
            raise TokenCacheUnavailable(type(exc).__name__) from exc
        if not acquired:
            raise TokenCacheUnavailable("lock wait timed out")
        try:
            yield
        finally:
            try:
                lock.release()
            except LockError:
                log.warning("The access-token lock expired before the fetch ended")
            except redis.RedisError as exc:
                log.warning("Could not release the access-token lock: %s", type(exc).__name__)


def cache_seconds(expires_in):
    """How long to keep a token WeChat says lives ``expires_in`` seconds (renewed early)."""
    return max(expires_in - RENEW_BEFORE_SECONDS, expires_in // 2, 0)


class AccessTokenProvider:
    """Hands out the current access token, fetching it through ``fetch(force_refresh)`` when needed.

    ``fetch`` returns ``(access_token, expires_in)`` or raises; nothing is cached on failure.
    """

    def __init__(self, fetch, cache, key):
        self._fetch = fetch
        self.cache = cache
        self.key = key

    def token(self):
        """The cached token, or a freshly fetched one (one fetch for any number of concurrent callers)."""
        token = self.cache.get(self.key)
        if token:
            return token
        with self.cache.lock(self.key):
            # Whoever held the lock before us may have just fetched it.
            return self.cache.get(self.key) or self._store(*self._fetch(False))

    def refresh(self, rejected):
        """A token to replace ``rejected``, which WeChat just refused (40001 / 42001 / 40014).

        First the normal fetch: when the token merely expired, or another process already
        force-refreshed it, that answers the current token. Only when WeChat hands back the
        very token it refused is a forced refresh asked for — WeChat allows 20 a day, at
        least 30 s apart, and each one invalidates the token for every other worker.
        """
        with self.cache.lock(self.key):
            current = self.cache.get(self.key)
            if current and current != rejected:
                return current  # a concurrent caller already replaced it
            token = self._store(*self._fetch(False))
            if token == rejected:
                log.warning("WeChat refused its current access token; forcing a refresh")
                token = self._store(*self._fetch(True))
            return token

    def _store(self, token, expires_in):
        self.cache.set(self.key, token, cache_seconds(expires_in))
        return token
