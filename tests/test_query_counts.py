"""How many SQL statements the busiest requests send (issue 8's benchmark, benchmarks/run_http.py).

A scan, a rating and a check-in are what citizens and members do all day; each statement is a
round trip and, worse, a pass through the ORM. These counts are the ones the benchmark was
measured with: a change that adds a lazy load (an N+1) or reloads what a request just wrote
fails here, before it shows as a slower benchmark. BEGIN and COMMIT are not counted.
"""
import contextlib
import re

import pytest
from sqlalchemy import event

from server.extensions import db
from server.models import shift_status

HERE = {"lat": 30.75, "lng": 120.75, "accuracy_m": 10}


@contextlib.contextmanager
def statements():
    """The SQL statements sent inside the block (BEGIN aside)."""
    sent = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if not statement.startswith("BEGIN"):
            sent.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def counted(client, method, url, **kwargs):
    """(response, statements) of one request, on a session as fresh as a new request's."""
    db.session.remove()
    with statements() as sent:
        response = client.open(url, method=method, **kwargs)
    return response, sent


@pytest.mark.parametrize("kind", ["badge", "window", "post"])
def test_a_scan_is_one_query(client, world, codes, kind):
    unit_name = world.a.unit.name
    response, sent = counted(client, "GET", f"/api/v1/scan/{codes[kind]}")
    assert response.status_code == 200
    # The code, its target, the target's unit, its commitments and (a badge) on_duty: one Core statement.
    assert len(sent) == 1, sent
    assert response.get_json()["target"]["unit"]["name"] == unit_name


@pytest.mark.parametrize("score, most", [(5, 4), (1, 8)])
def test_a_rating_reads_the_caller_and_the_code_once(client, world, codes, score, most):
    body = {"token": codes["window"], "score": score, "tags": []}
    response, sent = counted(client, "POST", "/api/v1/ratings", json=body, headers=world.citizen_headers)
    assert response.status_code == 201, response.get_json()
    # Caller (with member and linked admin), code (with target), the insert and its day's tally
    # (server/stats/tallies.py); a bad one adds its case, audit entry, the unit's admins and their
    # notifications. Nothing is read back.
    reads = [s for s in sent if s.startswith("SELECT")]
    assert len(reads) == 2 + (score <= 2), sent
    # The daily figures' rollup (server/stats/tallies.py) adds its one UPSERT to whatever writes a rating.
    tallies = [s for s in sent if "rating_tally" in s]
    assert len(tallies) <= 1, sent
    assert len(sent) - len(tallies) <= most, sent
    assert response.get_json()["score"] == score


def test_a_check_in_answers_without_reloading_its_shift(client, world, codes):
    post_name = world.a.post.name
    body = {"token": codes["post"], "client_id": "count-1", **HERE}
    response, sent = counted(client, "POST", "/api/v1/shifts/check-in", json=body, headers=world.member_headers)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["post"]["name"] == post_name
    # Caller, member lock (not on SQLite, whose writers queue anyway), the member's open shifts and
    # client_id retry in one, code (with the post and its unit, which the answer shows), insert.
    assert len(sent) <= (4 if db.engine.dialect.name == "sqlite" else 5), sent
    assert not any(s.startswith("SELECT shift.id, shift.member_id") and "WHERE shift.id" in s for s in sent), sent


def test_a_busy_connection_is_not_pinged_an_idle_one_is_and_replaced_when_dead(app, monkeypatch):
    """No ping per request (pool_pre_ping's round trip): only a connection idle for
    DATABASE_PING_IDLE_SECONDS is pinged, and one that died meanwhile is replaced before use."""
    import time

    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from server import extensions

    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite's connections (a file) are never pinged")
    assert app.config["DATABASE_PING_IDLE_SECONDS"] > 0 and not db.engine.pool._pre_ping
    dialect, pings = db.engine.dialect, []
    real_ping = dialect.do_ping
    monkeypatch.setattr(dialect, "do_ping", lambda connection: pings.append(1) or real_ping(connection))
    db.session.remove()

    def backend_pid():
        with db.engine.connect() as connection:
            return connection.execute(text("SELECT pg_backend_pid()")).scalar()

    first = backend_pid()
    assert backend_pid() == first and pings == []  # in use again at once: no ping

    later = time.monotonic() + app.config["DATABASE_PING_IDLE_SECONDS"] + 1
    monkeypatch.setattr(extensions.time, "monotonic", lambda: later)
    assert backend_pid() == first and pings == [1]  # idle long enough: pinged, alive, kept

    # The server drops the idle connection (a restart, a firewall): the ping finds out, a new one serves.
    killer = create_engine(db.engine.url.render_as_string(hide_password=False), poolclass=NullPool)
    with killer.connect() as other:
        assert other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first}).scalar()
        other.commit()
    killer.dispose()
    later += app.config["DATABASE_PING_IDLE_SECONDS"] + 1
    replaced = backend_pid()
    assert replaced != first and len(pings) == 2


# A bound value that a WHERE compares with shift.status, the column of uq_shift_one_open_per_member's
# condition (status = 'open'): SQLite would prepare the statement anew on every execution
# (server/models.py shift_status), so such a status is written into the SQL. (IN and a CASE in the
# selected columns do not make SQLite prepare again.)
BOUND_SHIFT_STATUS = re.compile(r"WHERE .*shift\.status = (\?|%\(|:)")


@pytest.mark.parametrize("request_of", [
    lambda world, codes: ("GET", f"/api/v1/scan/{codes['badge']}", {}),
    lambda world, codes: ("POST", "/api/v1/shifts/check-in",
                          {"json": {"token": codes["post"], "client_id": "literal-1", **HERE},
                           "headers": world.member_headers}),
    lambda world, codes: ("GET", "/api/v1/me/shifts?status=open", {"headers": world.member_headers}),
    lambda world, codes: ("GET", "/api/v1/me/hours", {"headers": world.member_headers}),
], ids=["scan", "check-in", "my-open-shifts", "my-hours"])
def test_a_shift_status_is_written_into_the_sql_not_bound(client, world, codes, request_of):
    method, url, kwargs = request_of(world, codes)
    response, sent = counted(client, method, url, **kwargs)
    assert response.status_code < 300, response.get_json()
    on_status = [s for s in sent if "shift.status =" in s]
    assert on_status, sent
    assert not [s for s in on_status if BOUND_SHIFT_STATUS.search(s)], on_status


def test_only_a_shift_status_is_written_into_the_sql():
    assert str(shift_status("open")) == "'open'"
    with pytest.raises(ValueError):
        shift_status("open' OR '1'='1")
