"""Extension singletons, created once here and bound to the app in create_app."""
import time

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event, exc

from server.api import Api

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate()
api = Api()
# Checks only where a view asks (the console's forms); the API authenticates with bearer tokens.
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def commit_keeping_loaded():
    """Commit without expiring what the session holds, for a request whose answer shows the rows
    it just wrote: reloading them after the commit (the default) costs a query per object for the
    very values it wrote. Only for the end of a request; the session is removed right after.
    """
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


# Execution option of a connection whose one statement is a read that needs no transaction
# around it: on SQLite the begin hook (server/__init__.py) then emits no BEGIN.
ONE_READ = "red_station_one_read"


def one_read_connection():
    """A connection (use it in ``with``) for a request's one read statement, outside any transaction:
    no BEGIN and no ROLLBACK, and not the session's, so nothing is left to close at teardown. One
    statement sees one consistent snapshot by itself on both databases. PostgreSQL: AUTOCOMMIT.
    SQLite: its driver runs in autocommit already (this app begins its transactions itself), so
    the begin hook just leaves the BEGIN out; SQLAlchemy's AUTOCOMMIT would change the driver's
    isolation_level and its reset would leave the driver beginning transactions on its own.
    """
    connection = db.engine.connect()
    if connection.dialect.name == "sqlite":
        return connection.execution_options(**{ONE_READ: True})
    return connection.execution_options(isolation_level="AUTOCOMMIT")


def ping_when_idle(engine, idle_seconds):
    """Pessimistic disconnect handling for a pooled connection that sat unused ``idle_seconds`` or
    more: it is pinged when checked out, and a dead one is replaced (and the pool's older
    connections with it) before the request uses it.

    SQLAlchemy's pool_pre_ping pings on every checkout: a round trip per request on a server busy
    enough to keep its connections warm. A connection in constant use needs no ping: when the
    database goes away under it, the request's statement fails, answers 503 (server/errors.py)
    and SQLAlchemy invalidates the pool, so the next requests reconnect. What the ping is for is
    the connection left idle (overnight, behind a firewall that drops idle flows, across a restart
    of PostgreSQL in a quiet hour). Not for SQLite: a file does not drop connections.
    """
    if engine.dialect.name == "sqlite" or not idle_seconds or idle_seconds < 0:
        return
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _idle_from(dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, proxy):
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            raise exc.InvalidatePoolError(f"idle connection failed its ping: {type(error).__name__}") from error
