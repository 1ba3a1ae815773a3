"""The committed migrations build exactly the models' schema (SQLite and PostgreSQL), and
`flask --app wsgi init-db` then `seed-demo` work on a fresh database and can be run again."""
import contextlib
import logging
import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import make_url

from server import MIGRATIONS_DIR, create_app
from server import config  # not `import TestConfig`: pytest would try to collect it as a test
from server.extensions import db
from server.models import Member, QrCode, Unit


def app_on(url):
    """An app with the test configuration on the database at ``url`` instead of the usual one."""

    class OtherDatabaseConfig(config.TestConfig):
        def __init__(self):
            super().__init__()
            self.SQLALCHEMY_DATABASE_URI = url

    return create_app(OtherDatabaseConfig)


@pytest.fixture(autouse=True)
def keep_logging():
    """Alembic's env.py applies alembic.ini's logging config; give later tests theirs back."""
    root = logging.getLogger()
    level, handlers = root.level, root.handlers[:]
    yield
    root.setLevel(level)
    root.handlers[:] = handlers


@contextlib.contextmanager
def scratch_postgres_database(test_url):
    """A new, empty database `<test database>_migrations` on the test server, dropped afterwards.

    The other tests keep the test database itself, whose tables conftest creates once per session.
    """
    import psycopg
    from psycopg import sql

    url = make_url(config.database_url(test_url))
    scratch = url.set(database=f"{url.database}_migrations")
    admin_dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch.database))
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(drop)
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch.database)))
    try:
        yield scratch.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(drop)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request, tmp_path):
    """The URL of an empty database: a SQLite file, or a scratch PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    test_url = os.environ.get("TEST_DATABASE_URL")
    if not test_url:
        pytest.skip("PostgreSQL runs when TEST_DATABASE_URL is set (scripts/test does)")
    with scratch_postgres_database(test_url) as url:
        yield url


def schema_differences():
    """What autogenerate would put in a new migration: empty when the schema matches the models."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_migrations_build_the_models_schema(empty_database_url):
    app = app_on(empty_database_url)
    with app.app_context():
        try:
            upgrade(directory=MIGRATIONS_DIR)
            differences = schema_differences()
            tables = set(inspect(db.engine).get_table_names())
            downgrade(directory=MIGRATIONS_DIR, revision="base")
            left_after_downgrade = set(inspect(db.engine).get_table_names())
        finally:
            db.engine.dispose()
    assert differences == [], "models and migrations differ; add a migration (flask --app wsgi db migrate)"
    assert {table.name for table in db.metadata.sorted_tables} <= tables
    assert left_after_downgrade <= {"alembic_version"}


def counts():
    """How many units, members and QR codes the database holds."""
    return tuple(db.session.scalar(select(func.count()).select_from(model)) for model in (Unit, Member, QrCode))


def test_init_db_then_seed_demo_twice_on_a_fresh_database(tmp_path):
    app = app_on(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    runner = app.test_cli_runner()
    with app.app_context():
        try:
            result = runner.invoke(args=["init-db"])
            assert result.exit_code == 0, result.output
            assert "Database ready" in result.output

            result = runner.invoke(args=["seed-demo"])
            assert result.exit_code == 0, result.output
            for username in ("bureau", "fuwuqu", "wangdian", "shenpi"):
                assert username in result.output
            assert "hongse2026" in result.output
            seeded = counts()
            assert all(seeded), seeded

            result = runner.invoke(args=["seed-demo"])
            assert result.exit_code == 0, result.output
            assert counts() == seeded
        finally:
            db.session.remove()
            db.engine.dispose()
