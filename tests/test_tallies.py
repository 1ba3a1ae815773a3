"""The figures' daily tallies (server/stats/tallies.py): what each write adds, and that the
figures read from them equal the figures read from the rows.

Every test of the suite also ends by comparing the tallies with the rows (tests/conftest.py);
here the rows the tallies hold are checked value by value, so a wrong contribution that both
the session and ``rebuild`` would make alike is caught too.
"""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from server.extensions import db
from server.models import Rating, Shift, rating_tally, shift_tally
from server.stats import services, tallies
from test_cases import exclusion
from test_shifts_review import add_shift, decide
from test_stats import INCLUDE_ALL, NOW, TODAY, make_world

ZONE = ZoneInfo("Asia/Shanghai")


def tally_rows(table):
    """{key: {non-zero count columns}} of ``table`` now."""
    key_columns = tallies.COLUMNS[table][0]
    rows = {}
    for row in db.session.execute(select(table)).mappings():
        counts = {name: value for name, value in row.items() if name not in key_columns and value}
        if counts:
            rows[tuple(row[name] for name in key_columns)] = counts
    return rows


def rate(client, headers, token, score, tags=()):
    response = client.post("/api/v1/ratings", json={"token": token, "score": score, "tags": list(tags)},
                           headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_a_rating_adds_its_score_tags_and_local_hour_and_an_exclusion_takes_them_back(client, world, codes):
    rating_id = rate(client, world.citizen_headers, codes["window"], 2, tags=["推诿", "态度差"])
    rating = db.session.get(Rating, rating_id)
    local = rating.created_at.astimezone(ZONE)
    unit, day, hour = world.a.unit.id, local.date(), f"h{local.hour:02d}"
    counted = {"ratings": 1, "s2": 1, "tag_shirking": 1, hour: 1}
    # The window's row and the unit's total row of the day.
    assert tally_rows(rating_tally) == {(unit, world.a.window.id, day): counted, (unit, tallies.UNIT_TOTAL, day): counted}

    rate(client, world.citizen_headers, codes["badge"], 5, tags=["投诉"])
    rows = tally_rows(rating_tally)
    assert rows[(unit, tallies.BADGES, day)] == {"ratings": 1, "s5": 1, "tag_complaints": 1, hour: 1}
    assert rows[(unit, tallies.UNIT_TOTAL, day)] == {"ratings": 2, "s2": 1, "s5": 1, "tag_shirking": 1,
                                                     "tag_complaints": 1, hour: 2}

    assert exclusion(client, world.bureau_headers, rating_id, True).status_code == 200
    rows = tally_rows(rating_tally)
    assert (unit, world.a.window.id, day) not in rows
    assert rows[(unit, tallies.UNIT_TOTAL, day)] == {"ratings": 1, "s5": 1, "tag_complaints": 1, hour: 1}
    assert exclusion(client, world.bureau_headers, rating_id, False).status_code == 200
    assert tally_rows(rating_tally)[(unit, world.a.window.id, day)] == counted


def test_shift_minutes_follow_the_review(client, world):
    # 23:30 local on the 20th: the shift's day is the local one, not UTC's (15:30 on the 20th).
    shift = add_shift(world.a, "2026-11-20T23:30:00+08:00", minutes=90)
    key = (world.a.unit.id, dt.date(2026, 11, 20))
    assert tally_rows(shift_tally) == {key: {"pending": 90}}

    assert decide(client, shift, world.a_headers, "adjust", minutes=60, reason="扣除休息").status_code == 200
    assert tally_rows(shift_tally) == {key: {"approved": 60}}
    assert decide(client, shift, world.a_headers, "reject", reason="未在岗").status_code == 200
    assert tally_rows(shift_tally) == {}

    open_shift = add_shift(world.a, "2026-11-21T08:00:00+08:00", status="open")
    assert tally_rows(shift_tally) == {}, "an open shift counts nothing yet"
    assert open_shift.id


def test_tallies_move_at_the_commit_and_not_for_what_was_rolled_back(app, world):
    add_shift(world.a, "2026-11-20T09:00:00+08:00", minutes=30)
    key = (world.a.unit.id, dt.date(2026, 11, 20))
    shift = db.session.scalars(select(Shift)).one()
    shift.minutes = 500
    db.session.flush()
    assert tally_rows(shift_tally) == {key: {"pending": 30}}, "written with the commit, not at each flush"
    db.session.rollback()
    assert tally_rows(shift_tally) == {key: {"pending": 30}}

    # A savepoint that rolls back takes its part with it; the rest of the transaction counts.
    shift = db.session.scalars(select(Shift)).one()
    with pytest.raises(RuntimeError), db.session.begin_nested():
        shift.minutes = 999
        db.session.flush()
        raise RuntimeError("this decision is refused")
    shift.minutes = 45
    db.session.commit()
    assert tally_rows(shift_tally) == {key: {"pending": 45}}


def test_check_finds_a_write_that_bypassed_the_session_and_rebuild_mends_it(app, world, runner):
    shift = add_shift(world.a, "2026-11-20T09:00:00+08:00", minutes=30)
    assert runner.invoke(args=["tallies", "check"]).exit_code == 0
    # A Core UPDATE of a counted column: the session never sees it.
    db.session.execute(update(Shift).where(Shift.id == shift.id).values(minutes=45))
    db.session.commit()
    result = runner.invoke(args=["tallies", "check"])
    assert result.exit_code == 1 and "pending: stored 30, rows give 45" in result.output
    result = runner.invoke(args=["tallies", "rebuild"])
    assert result.exit_code == 0 and "shift_tally: 1 rows" in result.output
    assert runner.invoke(args=["tallies", "check"]).exit_code == 0
    assert tally_rows(shift_tally) == {(world.a.unit.id, dt.date(2026, 11, 20)): {"pending": 45}}


@pytest.fixture
def varied(world, monkeypatch):
    monkeypatch.setattr(services, "utcnow", lambda: NOW)
    return make_world(world)


def scopes(data):
    a, b = data.a, data.b
    return {"bureau": {}, "unit": {"unit_id": a.unit.id}, "other unit": {"unit_id": b.unit.id},
            "window": {"window_id": a.window.id}, "window of unit": {"unit_id": a.unit.id, "window_id": a.window.id},
            "unrated window": {"window_id": a.window2.id}}


@pytest.mark.parametrize("days", [7, 35, 366])
def test_figures_from_the_tallies_equal_the_figures_from_the_rows(app, client, varied, monkeypatch, days):
    """Every scope the tallies serve, answered once from them and once from the rows."""
    first = TODAY - dt.timedelta(days=days - 1)
    for label, scope in scopes(varied).items():
        query = {**scope, "from": first.isoformat(), "to": TODAY.isoformat(), "include": ",".join(INCLUDE_ALL)}
        tallied = client.get("/api/v1/admin/stats", query_string=query, headers=varied.world.bureau_headers)
        with monkeypatch.context() as patch:
            patch.setattr(services, "from_tallies", lambda scope: False)
            from_rows = client.get("/api/v1/admin/stats", query_string=query, headers=varied.world.bureau_headers)
        assert tallied.status_code == from_rows.status_code == 200, (label, tallied.get_json())
        assert tallied.get_json()["ratings"] > 0 or label == "unrated window", label
        assert tallied.get_json() == from_rows.get_json(), label
    ranked = client.get("/api/v1/admin/rankings", query_string={"from": first.isoformat(), "to": TODAY.isoformat()},
                        headers=varied.world.bureau_headers)
    with monkeypatch.context() as patch:
        patch.setattr(services, "from_tallies", lambda scope: False)
        ranked_from_rows = client.get("/api/v1/admin/rankings", headers=varied.world.bureau_headers,
                                      query_string={"from": first.isoformat(), "to": TODAY.isoformat()})
    assert ranked.get_json() == ranked_from_rows.get_json()
