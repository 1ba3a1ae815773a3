"""The app's Redis connection (REDIS_URL): one client per app, shared by the WeChat access-token
cache and /healthz. Flask-Limiter keeps its own connection to the same server (RATELIMIT_STORAGE_URI).

Without REDIS_URL there is no client (None) and each process keeps that state in memory,
which is right for one process (development, tests) and wrong for several workers.
"""
import redis
from flask import current_app


def init_app(app):
    """Create the app's Redis client (it connects on first use), or None without REDIS_URL."""
    url = app.config.get("REDIS_URL")
    client = None
    if url:
        timeout = app.config["REDIS_TIMEOUT_SECONDS"]
        # redis-py notices a fork by pid and reconnects, so gunicorn workers never share a socket.
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                      health_check_interval=30)
    elif app.config["ENV_NAME"] == "production":
        app.logger.warning(
            "REDIS_URL is not set: rate limits count per worker process and each worker fetches its own "
            "WeChat access token. Set REDIS_URL when running more than one worker (docs/deploy.md)."
        )
    app.extensions["redis"] = client


def redis_client(app=None):
    """The app's Redis client, or None when REDIS_URL is not set."""
    return (app or current_app).extensions.get("redis")


def key(name, app=None):
    """``name`` under this deployment's prefix (REDIS_KEY_PREFIX), so several apps can share one Redis."""
    return (app or current_app).config["REDIS_KEY_PREFIX"] + name
