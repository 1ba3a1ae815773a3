"""How many SQL statements the busiest requests send (issue 8's benchmark, benchmarks/run_http.py).

A scan, a rating and a check-in are what citizens and members do all day; each statement is a
round trip and, worse, a pass through the ORM. These counts are the ones the benchmark was
measured with: a change that adds a lazy load (an N+1) or reloads what a request just wrote
fails here, before it shows as a slower benchmark. BEGIN and COMMIT are not counted.
"""
import contextlib

import pytest
from sqlalchemy import event

from server.extensions import db

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


@pytest.mark.parametrize("score, most", [(5, 3), (1, 7)])
def test_a_rating_reads_the_caller_and_the_code_once(client, world, codes, score, most):
    body = {"token": codes["window"], "score": score, "tags": []}
    response, sent = counted(client, "POST", "/api/v1/ratings", json=body, headers=world.citizen_headers)
    assert response.status_code == 201, response.get_json()
    # Caller (with member and linked admin), code (with target), the insert; a bad one adds its
    # case, audit entry, the unit's admins and their notifications. Nothing is read back.
    reads = [s for s in sent if s.startswith("SELECT")]
    assert len(reads) == 2 + (score <= 2), sent
    assert len(sent) <= most, sent
    assert response.get_json()["score"] == score


def test_a_check_in_answers_without_reloading_its_shift(client, world, codes):
    post_name = world.a.post.name
    body = {"token": codes["post"], "client_id": "count-1", **HERE}
    response, sent = counted(client, "POST", "/api/v1/shifts/check-in", json=body, headers=world.member_headers)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["post"]["name"] == post_name
    # Caller, stale shifts, member lock (not on SQLite, whose writers queue anyway), client_id retry,
    # code (with the post and its unit, which the answer shows), open shift, insert.
    assert len(sent) <= (6 if db.engine.dialect.name == "sqlite" else 7), sent
    assert not any(s.startswith("SELECT shift.id, shift.member_id") and "WHERE shift.id" in s for s in sent), sent
