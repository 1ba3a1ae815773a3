"""SQLite's one write lock: who takes it when (server/__init__.py, server/api.py's locks_at_first_write).

A writing request takes it with BEGIN IMMEDIATE at its first statement, unless its view is
marked: a rating takes it at its first write, a check-in at lock_member. Each test serves the app
over HTTP on a SQLite file and watches the statements SQLite runs (its trace callback).
"""
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import event, make_url

from conftest import USING_POSTGRES
from server.extensions import db

pytestmark = pytest.mark.skipif(USING_POSTGRES, reason="SQLite's one write lock")


@pytest.fixture
def app(live_app):
    return live_app


def tracing(sent):
    """A pool "checkout" listener: every statement SQLite runs on the connection goes into ``sent``."""
    def traced(dbapi_connection, record, proxy):
        dbapi_connection.set_trace_callback(sent.append)
    return traced


def test_a_rating_reads_while_another_writer_holds_sqlite_s_lock(live_app, live_server, world, codes):
    """On SQLite a rating takes the write lock at its first write (server/api.py's
    locks_at_first_write), not at its first statement: its reads run while another writer
    holds the lock, and only its insert waits."""
    sent = []
    traced = tracing(sent)
    event.listen(db.engine, "checkout", traced)
    holder = sqlite3.connect(make_url(live_app.config["SQLALCHEMY_DATABASE_URI"]).database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            answer = pool.submit(requests.post, f"{live_server}/api/v1/ratings", timeout=30,
                                 json={"token": codes["window"], "score": 1}, headers=world.citizen_headers)
            deadline = time.monotonic() + 10
            while "BEGIN IMMEDIATE" not in sent and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.2)
            # The caller and the code were read under the other writer's lock; the insert waits for it.
            assert sum(1 for s in sent if s.startswith("SELECT")) >= 2, sent
            assert not answer.done() and not any(s.startswith("INSERT") for s in sent), sent
            holder.execute("COMMIT")
            response = answer.result()
    finally:
        holder.close()
        event.remove(db.engine, "checkout", traced)
    assert response.status_code == 201, response.json()
    assert response.json()["case"] is not None
    first_write = next(i for i, s in enumerate(sent) if s.startswith("INSERT"))
    assert sent[first_write - 2:first_write] == ["COMMIT", "BEGIN IMMEDIATE"], sent

def test_a_check_in_takes_sqlite_s_lock_before_reading_the_members_shifts(live_app, live_server, world,
                                                                           codes):
    """A check-in reads the member's open shift and inserts on the strength of it: on SQLite
    its transaction takes the write lock before that read (lock_member), after its caller's and
    its code's (the code does not depend on the member's shifts: the lock is held the shorter)."""
    sent = []
    traced = tracing(sent)
    event.listen(db.engine, "checkout", traced)
    try:
        response = requests.post(f"{live_server}/api/v1/shifts/check-in", timeout=30,
                                 json={"token": codes["post"], "client_id": "lock-1", "lat": 30.75, "lng": 120.75,
                                       "accuracy_m": 10}, headers=world.member_headers)
    finally:
        event.remove(db.engine, "checkout", traced)
    assert response.status_code == 201, response.json()
    # The caller and the code are read first; the lock is taken before the member's shifts are read.
    locked = sent.index("BEGIN IMMEDIATE")
    assert sent[:locked] == ["BEGIN", sent[1], sent[2], "COMMIT"], sent
    assert "FROM wechat_user" in sent[1] and "FROM qr_code" in sent[2], sent
    assert "FROM shift" in sent[locked + 1] and "COMMIT" not in sent[locked:-1], sent


def test_an_unmarked_writing_request_takes_the_lock_at_its_first_statement(live_server, world, codes):
    """A check-out is not marked: its transaction starts with BEGIN IMMEDIATE, before its caller is read."""
    check_in = requests.post(f"{live_server}/api/v1/shifts/check-in", timeout=30, headers=world.member_headers,
                             json={"token": codes["post"], "client_id": "lock-2", "lat": 30.75, "lng": 120.75,
                                   "accuracy_m": 10})
    assert check_in.status_code == 201, check_in.json()
    sent = []
    traced = tracing(sent)
    event.listen(db.engine, "checkout", traced)
    try:
        response = requests.post(f"{live_server}/api/v1/shifts/{check_in.json()['id']}/check-out", timeout=30,
                                 headers=world.member_headers, json={"lat": 30.75, "lng": 120.75, "accuracy_m": 10})
    finally:
        event.remove(db.engine, "checkout", traced)
    assert response.status_code == 200, response.json()
    assert sent[0] == "BEGIN IMMEDIATE" and "FROM wechat_user" in sent[1], sent


def test_a_scan_is_its_one_select_without_a_transaction(live_server, world, codes):
    """A scan's one statement runs outside a transaction (server/extensions.py's one_read_connection):
    SQLite runs just the SELECT, no BEGIN or ROLLBACK around it, and the pooled connection is
    left out of any transaction, so the writing request that gets it next begins its own."""
    sent = []
    traced = tracing(sent)
    event.listen(db.engine, "checkout", traced)
    try:
        response = requests.get(f"{live_server}/api/v1/scan/{codes['badge']}", timeout=30)
        scanned = list(sent)
        rating = requests.post(f"{live_server}/api/v1/ratings", timeout=30, headers=world.citizen_headers,
                               json={"token": codes["badge"], "score": 5})
    finally:
        event.remove(db.engine, "checkout", traced)
    assert response.status_code == 200, response.json()
    assert len(scanned) == 1 and scanned[0].startswith("SELECT") and "FROM qr_code" in scanned[0], scanned
    assert rating.status_code == 201, rating.json()
    assert sent[1] == "BEGIN" and sent[-1] == "COMMIT", sent
