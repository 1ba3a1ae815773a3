"""Red Station (红色驿站): the Flask application factory."""
import os
from pathlib import Path

from flask import Flask, current_app, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from server.config import config_from_environment, CONFIGS
from server.extensions import ONE_READ

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


class RedStation(Flask):
    """Flask, with ``ensure_sync``'s answer kept per function.

    Flask asks it of every view and every before/after/teardown hook on every request, and each
    time inspect tests the function's code flags (about a twentieth of a scan in a CPU profile;
    measured with the session change in server/security.py, 0.335 → 0.32 ms). Whether a function
    is a coroutine function does not change, so the answer is kept, for at most SYNC_CACHE_SIZE
    functions (functions made per request, such as ``after_this_request``'s, are not kept beyond).
    """

    SYNC_CACHE_SIZE = 1024

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._ensured = {}

    def ensure_sync(self, func):
        try:
            return self._ensured[func]
        except KeyError:
            ensured = super().ensure_sync(func)
            if len(self._ensured) < self.SYNC_CACHE_SIZE:
                self._ensured[func] = ensured
            return ensured
        except TypeError:  # an unhashable callable
            return super().ensure_sync(func)


def create_app(config=None):
    """Build the app. ``config`` is a config class, its name, or None for the environment's."""
    if config is None:
        config = config_from_environment()
    elif isinstance(config, str):
        config = CONFIGS[config]
    config_object = config()
    config_object.check()

    app = RedStation(__name__, instance_path=str(Path(__file__).resolve().parent.parent / "instance"))
    app.config.from_object(config_object)
    app.config.setdefault("MIGRATIONS_DIR", MIGRATIONS_DIR)
    app.json.ensure_ascii = False
    os.makedirs(app.instance_path, exist_ok=True)

    from server import cli, errors, health, models, redis_store, security  # noqa: F401  (models registers the tables)
    from server import limiter_hooks
    from server.extensions import api, csrf, db, limiter, migrate, ping_when_idle
    from server.alerts import outbox
    from server.wechat import client as wechat_client

    db.init_app(app)
    with app.app_context():
        ping_when_idle(db.engine, app.config["DATABASE_PING_IDLE_SECONDS"])
    migrate.init_app(app, db, directory=app.config["MIGRATIONS_DIR"], render_as_batch=True)
    limiter.init_app(app)
    limiter_hooks.only_where_limited(app, limiter)
    redis_store.init_app(app)
    security.init_app(app)
    csrf.init_app(app)
    api.init_app(app, spec_kwargs={"servers": [{"url": app.config["PUBLIC_BASE_URL"]}]})
    _document_common_components(api)
    wechat_client.init_app(app)
    outbox.init_app(app)
    errors.register_error_handlers(app)
    cli.init_app(app)
    app.before_request(_refuse_non_json_bodies)

    from server.admin.routes import bp as admin_bp
    from server.alerts.routes import bp as alerts_bp
    from server.auth.routes import bp as auth_bp
    from server.cases.routes import bp as cases_bp
    from server.hours.routes import bp as hours_bp
    from server.hours.routes import pages as hours_pages
    from server.qr.routes import bp as qr_bp
    from server.ratings.comment_review import bp as rating_comments_bp
    from server.ratings.routes import bp as ratings_bp
    from server.scan.routes import bp as scan_bp
    from server.scan.routes import pages as h5_pages
    from server.shifts.review_routes import bp as shift_review_bp
    from server.shifts.routes import bp as shifts_bp
    from server.stats.routes import bp as stats_bp

    for blueprint in (auth_bp, admin_bp, qr_bp, scan_bp, ratings_bp, cases_bp, stats_bp, alerts_bp,
                      rating_comments_bp, hours_bp, shifts_bp, shift_review_bp):
        api.register_blueprint(blueprint)
    app.register_blueprint(h5_pages)
    app.register_blueprint(hours_pages)
    health.init_app(app)

    from server import console

    console.init_app(app)
    return app


def _document_common_components(api):
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})


MAX_JSON_DEPTH = 32


def _refuse_non_json_bodies():
    """API.md: a request body that is not JSON is a 400 in the error shape.

    So is JSON nested deeper than any request needs (which could exhaust the parser's
    recursion) and JSON whose strings hold lone surrogates ("\\ud800": no UTF-8 text, nor the
    database, can carry them).
    """
    if not request.path.startswith("/api/") or request.method not in ("POST", "PUT", "PATCH"):
        return None
    if not request.get_data(cache=True):
        return None
    try:
        body = request.get_json(silent=True, force=True)
    except RecursionError:
        body = None
    if body is None or not _plain_json(body):
        from server.errors import error_response
        from server.messages import INVALID_JSON

        return error_response(400, "invalid_json", INVALID_JSON)
    return None


def _plain_json(value):
    """True when ``value`` nests at most MAX_JSON_DEPTH deep and all its text is valid Unicode."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                return False
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return True


def _is_sqlite(dbapi_connection):
    return type(dbapi_connection).__module__.startswith("sqlite3")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: WAL for concurrent readers, enforced foreign keys, wait instead of failing on locks."""
    if _is_sqlite(dbapi_connection):
        # We emit BEGIN ourselves (below), so the driver must not.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


# The connection's info key: its transaction read so far and takes the write lock at its first write.
LOCK_AT_FIRST_WRITE = "red_station.lock_at_first_write"


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection):
    """SQLite: a request that may write takes the write lock when its transaction starts.

    A deferred transaction that reads and then writes fails at once (SQLITE_BUSY_SNAPSHOT,
    no busy wait) when another writer committed in between; BEGIN IMMEDIATE waits its turn
    instead. Reads (GET) keep plain BEGIN and run concurrently under WAL. Outside a request
    (commands, scripts) a session that only reads must not block the server's writers, so
    it stays deferred too.

    A view marked ``locks_at_first_write`` (server/api.py) starts deferred and takes the write
    lock just before its first write (``_sqlite_lock_at_first_write`` below).
    """
    if connection.dialect.name != "sqlite":
        return
    connection.info.pop(LOCK_AT_FIRST_WRITE, None)
    if connection.get_execution_options().get(ONE_READ):
        return  # one_read_connection(): its one SELECT is its own transaction
    late = False
    if not has_request_context():
        writing = False
    else:
        view = current_app.view_functions.get(request.endpoint)
        writing = request.method not in ("GET", "HEAD", "OPTIONS") or getattr(view, "writes_database", False)
        late = writing and getattr(view, "locks_at_first_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writing and not late else "BEGIN")
    if late:
        connection.info[LOCK_AT_FIRST_WRITE] = True


@event.listens_for(Engine, "before_cursor_execute")
def _sqlite_lock_at_first_write(connection, cursor, statement, parameters, context, executemany):
    """SQLite: before the first statement that is not a SELECT, end the read and BEGIN IMMEDIATE.

    The reads before it saw what was committed when each ran (PostgreSQL's READ COMMITTED),
    and the write lock is held from the first write to the COMMIT only: other workers run
    their requests' reads, Python and serialisation meanwhile, instead of queueing for the
    lock from the request's first statement.
    """
    if LOCK_AT_FIRST_WRITE in connection.info and statement.lstrip()[:6].upper() != "SELECT":
        take_sqlite_write_lock(connection, cursor)


def take_sqlite_write_lock(connection, cursor=None):
    """Take SQLite's write lock now, when ``connection``'s transaction was begun deferred to take
    it at its first write (locks_at_first_write); otherwise (it holds the lock already, or this is
    not SQLite) nothing. A view calls it before a read that its write relies on."""
    if connection.info.pop(LOCK_AT_FIRST_WRITE, None):
        cursor = cursor or connection.connection.driver_connection
        cursor.execute("COMMIT")
        cursor.execute("BEGIN IMMEDIATE")
