"""gunicorn settings for Red Station. Serve with:

    gunicorn -c gunicorn.conf.py wsgi:app

Every value can be changed from the environment (systemd's Environment=, a container's env):

    BIND                  where to listen, e.g. "0.0.0.0:8000" or "unix:/run/red-station/gunicorn.sock"
                          (several, comma-separated). Default: 127.0.0.1:$PORT.
    PORT                  the port when BIND is not set (default 8000).
    WEB_CONCURRENCY       worker processes. Default: 2 × usable cores + 1, at most 12.
    GUNICORN_THREADS      threads per worker (default 1: sync workers; >1 uses gthread workers).
    GUNICORN_TIMEOUT      seconds a worker may stay silent before it is killed (default 60: the
                          biggest QR sign ZIP/PDF exports take tens of seconds on a small host).
    GUNICORN_GRACEFUL_TIMEOUT  seconds running requests get to finish on stop/reload (default 30).
    GUNICORN_MAX_REQUESTS requests after which a worker is replaced (default 10000; 0 = never),
                          with GUNICORN_MAX_REQUESTS_JITTER (default 1000) so they do not all
                          restart at once. A guard against slow leaks: rare, and cheap with preload.
    GUNICORN_PRELOAD      "1" (default) loads the app once in the master before forking: a new
                          worker (at start, or replacing one after max_requests) is a fork, not a
                          second import of the whole app (1–3 s of CPU), workers share the code's
                          memory, and start-up errors show before any worker starts. The cost: a
                          HUP restarts workers without re-reading the code (after an upgrade,
                          restart the service). "0" imports the app in each worker.
    GUNICORN_ACCESSLOG    access log file, "-" for stdout (default), "" for none.
    GUNICORN_LOGLEVEL     error log level (default info).
    GUNICORN_CONTROL_SOCKET  path of gunicorn's control socket for `gunicornc`; unset = no
                          control socket (several instances on one host would share the default path).

gunicorn itself also reads FORWARDED_ALLOW_IPS (which proxies may set X-Forwarded-Proto);
the app's own proxy trust is TRUSTED_PROXIES (see docs/deploy.md).
"""
import os
import sys


def _int(name, default):
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _usable_cores():
    """Cores this process may run on (honours CPU affinity / cpusets), at least 1."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):
        return os.cpu_count() or 1


# Each worker holds its own database pool (SQLAlchemy: 5 connections + 10 overflow), so more
# workers than this would mostly exhaust PostgreSQL's max_connections, not add throughput.
MAX_DEFAULT_WORKERS = 12


def default_workers(cores=None):
    """2 × cores + 1 (gunicorn's rule of thumb for sync workers), capped at MAX_DEFAULT_WORKERS."""
    cores = cores or _usable_cores()
    return min(2 * cores + 1, MAX_DEFAULT_WORKERS)


# --- socket -----------------------------------------------------------------------------------
# Loopback by default: on one host nginx sits in front. Behind a load balancer set BIND=0.0.0.0:8000.
bind = [b.strip() for b in os.environ.get("BIND", "").split(",") if b.strip()] or [
    f"127.0.0.1:{_int('PORT', 8000)}"
]

# --- workers ----------------------------------------------------------------------------------
workers = max(_int("WEB_CONCURRENCY", default_workers()), 1)
threads = max(_int("GUNICORN_THREADS", 1), 1)
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 5
# Replacing a worker is a guard against slow leaks, not a need: rare, and with preload a fork.
max_requests = _int("GUNICORN_MAX_REQUESTS", 10000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 1000) if max_requests else 0
preload_app = (os.environ.get("GUNICORN_PRELOAD", "").strip().lower() or "1") in ("1", "true", "yes")
# Heartbeat files on a RAM disk when there is one (a slow disk can make gunicorn kill healthy workers).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None

# --- control socket ---------------------------------------------------------------------------
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]

# --- logs -------------------------------------------------------------------------------------
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# Method, path WITHOUT the query string (%(U)s), status, size, duration, user agent. Never
# the query string, the Referer (it carries other pages' query strings) nor any request
# header such as Authorization or Cookie. /q/<token> paths are public QR codes: fine to log.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
proc_name = "red-station"


# --- hooks ------------------------------------------------------------------------------------
def post_fork(server, worker):
    """With preload_app the master built the app: forget any database connection it opened.

    A socket shared by two processes interleaves their queries, so each worker starts with an
    empty pool (close=False leaves the parent's connections to the parent). Redis clients
    (redis-py: the app's and the rate limiter's storage) notice the fork by pid and reconnect
    on their own; the limiter's in-memory storage (no REDIS_URL) restarts its expiry timer.
    """
    # Only if the master loaded this app (wsgi:app): another app served with this file (the
    # benchmark's bare Flask) must not import it in every worker.
    wsgi = sys.modules.get("wsgi") if preload_app else None
    if wsgi is None or not hasattr(wsgi, "app"):
        return
    from server.extensions import db

    with wsgi.app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
