"""The HTTP benchmark's ceiling: what bare Flask reaches doing only the database work.

Served like the real app and the bare one (``gunicorn -c gunicorn.conf.py
benchmarks.ceiling_app:app``, same DATABASE_URL), it answers the benchmark's paths with
nothing of the app around the database: no pool, no ORM, no session, no validation, no
token, no rate limit, no security headers. One driver connection per worker (sqlite3 or
psycopg, autocommit, SQLite's pragmas as the app sets them) and:

    GET  /bare                    the bare endpoint (benchmarks/bare_app.py's answer)
    GET  /api/v1/scan/{token}     the app's own scan statement (server.scan.services) and the
                                  same answer built from its rows
    POST /api/v1/ratings          the least a write can be: the body's fields INSERTed as one
    POST /api/v1/shifts/check-in  row of a probe table, committed (SQLite: the WAL synced, as
                                  the app's commits are; PostgreSQL: its fsync defaults)

So ``ceiling req/s ÷ bare req/s`` is the most any Flask app doing that database work can
reach on this machine, beside the real app's ratio in the same run. The probe table
(``ceiling_probe``) is made when the app is imported and is not part of the schema.
"""
import json
import os
from collections import namedtuple

from flask import Flask, jsonify, request
from sqlalchemy.dialects import postgresql, sqlite

from benchmarks.pg import libpq_url
from server.config import database_url
from server.scan.services import ACTIONS, PrefixedRow, profile_of, scan_statement

app = Flask(__name__)
app.json.ensure_ascii = False

URL = database_url(os.environ["DATABASE_URL"])
POSTGRES = URL.startswith("postgresql")
_compiled = scan_statement().compile(
    dialect=postgresql.dialect(paramstyle="pyformat") if POSTGRES else sqlite.dialect(paramstyle="named"))
SCAN_SQL = str(_compiled)
SCAN_PARAMS = {name: value for name, value in _compiled.params.items() if name != "token"}
PROBE_TABLE = ("CREATE TABLE IF NOT EXISTS ceiling_probe (id {} PRIMARY KEY, token TEXT NOT NULL, "
               "score INTEGER, body TEXT NOT NULL)").format("BIGSERIAL" if POSTGRES else "INTEGER")
PROBE_INSERT = ("INSERT INTO ceiling_probe (token, score, body) VALUES (%(token)s, %(score)s, %(body)s)"
                if POSTGRES else "INSERT INTO ceiling_probe (token, score, body) VALUES (:token, :score, :body)")
JSON_COLUMNS = ("window_duties", "window_time_limits")

_connection = None
_row_type = None


def connect():
    """A new driver connection in autocommit: every statement its own transaction."""
    if POSTGRES:
        import psycopg

        return psycopg.connect(libpq_url(URL), autocommit=True)
    import sqlite3

    connection = sqlite3.connect(URL.split(":///", 1)[1], isolation_level=None, check_same_thread=False)
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=10000"):
        connection.execute("PRAGMA " + pragma)
    return connection


def connection():
    """This worker's connection, opened on its first request (after gunicorn's fork)."""
    global _connection
    if _connection is None:
        _connection = connect()
    return _connection


@app.get("/bare")
def bare():
    return jsonify({"ok": True, "name": "红色驿站", "items": [1, 2, 3]})


@app.get("/api/v1/scan/<token>")
def scan(token):
    global _row_type
    cursor = connection().execute(SCAN_SQL, {**SCAN_PARAMS, "token": token})
    if _row_type is None:
        _row_type = namedtuple("ScanRow", [column[0] for column in cursor.description])
    rows = [_row_type(*row) for row in cursor.fetchall()]
    if not rows:
        return jsonify({"code": "code_unknown"}), 404
    first = rows[0]
    if not POSTGRES:  # JSON columns come as text from sqlite3 (SQLAlchemy's JSON type parses them in the app)
        first = first._replace(**{name: json.loads(getattr(first, name)) for name in JSON_COLUMNS
                                  if getattr(first, name) is not None})
    if first.revoked_at is not None:
        return jsonify({"code": "code_revoked"}), 410
    commitments = [row.commitment for row in rows if row.commitment is not None]
    profile = profile_of(first.kind, PrefixedRow(first, first.kind), first.unit_name, commitments, bool(first.on_duty))
    return jsonify({"kind": first.kind, "target": profile, "actions": ACTIONS[first.kind], "live": False})


@app.post("/api/v1/ratings")
@app.post("/api/v1/shifts/check-in")
def write():
    body = request.get_json()
    connection().execute(PROBE_INSERT, {"token": str(body.get("token")), "score": body.get("score"),
                                        "body": json.dumps(body, ensure_ascii=False)})
    return jsonify({"ok": True}), 201


def close():
    """Close this process's connection (benchmarks/bench_requests.py, between databases)."""
    global _connection
    if _connection is not None:
        _connection.close()
        _connection = None


def _make_probe_table():
    """Once, when gunicorn's master imports this (preload), not racing in every worker."""
    with connect() as made:
        made.execute(PROBE_TABLE)
    if not POSTGRES:
        made.close()


_make_probe_table()
