"""Citizens' ratings: who may rate, the one-a-day rule (in the database), flood limits, bad ratings."""
import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import chinese_calendar
import pytest
import requests
from sqlalchemy import func, select

from conftest import assert_error, bearer, db_snapshot
from server.extensions import db
from server.models import Case, Notification, Rating, utcnow
from server.qr.services import issue_code, revoke_code


def rate(client, token, score=5, headers=None, **extra):
    return client.post("/api/v1/ratings", json={"token": token, "score": score, **extra}, headers=headers or {})


def rating_count():
    return db.session.scalar(select(func.count()).select_from(Rating))


def test_h5_rater_gets_a_device_cookie_and_a_second_rating_is_refused(client, codes):
    first = rate(client, codes["window"], 5, tags=["热情", "高效"], comment="办事很快")
    assert first.status_code == 201, first.json
    assert first.json["case"] is None and first.json["comment_status"] == "shown"
    cookie = first.headers["Set-Cookie"]
    assert cookie.startswith("rs_device=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    error = assert_error(rate(client, codes["window"], 4), 409)
    assert error["code"] == "already_rated" and error["message"] == "您今天已评价过该窗口"
    assert rating_count() == 1


def test_badge_message_names_the_person(client, codes):
    assert rate(client, codes["badge"], 5).status_code == 201
    assert assert_error(rate(client, codes["badge"], 3), 409)["message"] == "您今天已评价过这位工作人员"


def test_another_device_and_another_target_may_rate(app, client, codes):
    assert rate(client, codes["window"]).status_code == 201
    assert rate(app.test_client(), codes["window"]).status_code == 201
    assert rate(client, codes["badge"]).status_code == 201
    assert rating_count() == 3


def test_a_forged_device_cookie_is_a_new_device(app, client, codes):
    assert rate(client, codes["window"]).status_code == 201
    other = app.test_client()
    other.set_cookie("rs_device", "forged.value")
    response = rate(other, codes["window"])
    assert response.status_code == 201 and "rs_device=" in response.headers["Set-Cookie"]


def test_the_same_rater_may_rate_again_the_next_day(client, codes):
    assert rate(client, codes["window"]).status_code == 201
    rating = db.session.scalar(select(Rating))
    rating.rated_on -= dt.timedelta(days=1)
    db.session.commit()
    assert rate(client, codes["window"], 4).status_code == 201


def test_wechat_rater_is_keyed_on_the_user_not_the_device(app, world, codes):
    assert rate(app.test_client(), codes["window"], headers=world.citizen_headers).status_code == 201
    assert_error(rate(app.test_client(), codes["window"], headers=world.citizen_headers), 409)
    rating = db.session.scalar(select(Rating))
    assert rating.wechat_user_id == world.citizen.id and rating.rater_key == f"wx:{world.citizen.id}"


class TestRetryWithClientId:
    """A rating sent again with its client_id (the answer was lost) gets the same rating back."""

    def test_a_retry_answers_200_with_the_same_rating_and_case(self, app, world, codes):
        body = {"tags": ["推诿"], "client_id": "c-1"}
        first = rate(app.test_client(), codes["window"], 2, headers=world.citizen_headers, **body)
        assert first.status_code == 201 and first.json["case"] is not None
        # Whatever else the retry says (here another score), it is the same rating.
        again = rate(app.test_client(), codes["window"], 1, headers=world.citizen_headers, **body)
        assert again.status_code == 200 and again.json == first.json
        assert rating_count() == 1 and db.session.scalar(select(func.count()).select_from(Case)) == 1
        assert db.session.scalar(select(Rating.client_id)) == "c-1"

    def test_another_client_id_the_same_day_is_already_rated(self, app, world, codes):
        assert rate(app.test_client(), codes["window"], headers=world.citizen_headers, client_id="c-1").status_code == 201
        error = assert_error(rate(app.test_client(), codes["window"], headers=world.citizen_headers, client_id="c-2"), 409)
        assert error["code"] == "already_rated" and rating_count() == 1

    def test_the_client_id_is_the_raters_own(self, app, world, codes):
        """Another rater's identical client_id neither finds nor blocks the first rater's rating."""
        first = rate(app.test_client(), codes["window"], headers=world.citizen_headers, client_id="same")
        other = rate(app.test_client(), codes["window"], client_id="same")  # an H5 device
        assert first.status_code == other.status_code == 201 and first.json["id"] != other.json["id"]
        assert rating_count() == 2

    def test_an_h5_device_retries_with_its_cookie(self, client, codes):
        first = rate(client, codes["badge"], 5, client_id="d-1")
        again = rate(client, codes["badge"], 5, client_id="d-1")
        assert (first.status_code, again.status_code) == (201, 200) and again.json["id"] == first.json["id"]

    def test_a_blank_or_long_client_id_is_refused(self, client, codes):
        for bad in ("", " ", "x" * 65, 7):
            assert_error(rate(client, codes["window"], client_id=bad), 422, "client_id")
        assert rating_count() == 0


def test_staff_cannot_rate(client, world, codes):
    """Admins never rate; a member does not rate their own unit's people or windows."""
    for headers in (world.a_headers, world.bureau_headers):
        assert assert_error(rate(client, codes["window"], headers=headers), 403)["code"] == "staff_cannot_rate"
    assert assert_error(rate(client, codes["badge"], headers=world.member_headers), 403)["code"] == "staff_cannot_rate"
    assert rating_count() == 0


def test_a_member_may_rate_another_units_window(client, world):
    code = issue_code("window", world.b.window)
    db.session.commit()
    assert rate(client, code.token, headers=world.member_headers).status_code == 201


def test_post_codes_unknown_and_revoked_codes(client, world, codes):
    assert assert_error(rate(client, codes["post"]), 422)["code"] == "not_ratable"
    assert assert_error(rate(client, "no-such-token"), 404)["code"] == "code_unknown"
    revoke_code(db.session.scalar(select(Rating.qr_code_id)) or _code(codes["window"]))
    db.session.commit()
    assert assert_error(rate(client, codes["window"]), 410)["code"] == "code_revoked"
    assert rating_count() == 0


def _code(token):
    from server.models import QrCode

    return db.session.scalar(select(QrCode).where(QrCode.token == token))


@pytest.mark.parametrize("body, field", [
    ({"score": 0}, "score"), ({"score": 6}, "score"), ({"score": "5"}, "score"), ({"score": 4.5}, "score"),
    ({"score": 5, "tags": ["好评如潮"]}, "tags"), ({"score": 5, "tags": "热情"}, "tags"),
    ({"score": 4, "contact": "13800001111"}, "contact"), ({"score": 1, "contact": "call me maybe"}, "contact"),
    ({"score": 5, "comment": "好" * 501}, "comment"), ({"score": 5, "comment": "a\x00b"}, "comment"),
    ({"score": 5, "rater": "someone"}, "rater"), ({}, "score"),
])
def test_bad_fields_are_422_and_write_nothing(client, codes, body, field):
    before = db_snapshot()
    assert_error(client.post("/api/v1/ratings", json={"token": codes["window"], **body}), 422, field)
    assert db_snapshot() == before


def test_a_bad_rating_opens_a_case_and_alerts_the_units_admins(client, world, codes):
    response = rate(client, codes["badge"], 2, tags=["推诿"], comment="来回跑了三趟", contact="13800001111")
    assert response.status_code == 201
    case_ref = response.json["case"]
    case = db.session.get(Case, case_ref["id"])
    assert case.unit_id == world.a.unit.id and case.status == "open"
    # Deadlines: end of the 1st and 15th working day after today, counted here independently.
    today = utcnow().astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    assert case_ref["due_contact_at"] == f"{nth_workday_after(today, 1)}T23:59:59+08:00"
    assert case_ref["due_resolve_at"] == f"{nth_workday_after(today, 15)}T23:59:59+08:00"
    notes = db.session.scalars(select(Notification)).all()
    assert [n.admin_id for n in notes] == [world.a.admin.id]
    assert notes[0].kind == "bad_rating" and notes[0].case_id == case.id and notes[0].read_at is None


def nth_workday_after(day, n):
    while n:
        day += dt.timedelta(days=1)
        if day.year > 2026 and day.weekday() < 5 or day.year <= 2026 and chinese_calendar.is_workday(day):
            n -= 1
    return day.isoformat()


def test_good_ratings_open_no_case(client, codes):
    for score, token in ((3, codes["window"]), (4, codes["badge"])):
        assert rate(client, token, score).json["case"] is None
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_a_hidden_comment_still_counts(client, codes):
    response = rate(client, codes["window"], 1, comment="你们都是废物")
    assert response.status_code == 201 and response.json["comment_status"] == "hidden"
    assert db.session.scalar(select(Rating.score)) == 1


def test_flood_limits_answer_429_and_do_not_move_the_figures(app, client, world):
    app.config["RATING_RATE_LIMIT_RATER"] = "3 per day"
    windows = [world.a.window, world.b.window]
    tokens = [issue_code("badge", world.a.member).token, issue_code("badge", world.b.member).token]
    tokens += [issue_code("window", w).token for w in windows]
    db.session.commit()
    answers = [rate(client, token, headers=world.citizen_headers).status_code for token in tokens]
    assert answers == [201, 201, 201, 429]
    assert_error(rate(client, tokens[3], headers=world.citizen_headers), 429)
    assert rating_count() == 3


def test_a_script_that_drops_its_cookie_is_capped_per_address(app, world):
    """Without a device cookie every request looks new: the allowance then falls on the address."""
    app.config["RATING_RATE_LIMIT_RATER"] = "2 per day"
    tokens = [issue_code("badge", world.a.member).token, issue_code("window", world.a.window).token,
              issue_code("badge", world.b.member).token]
    db.session.commit()
    answers = [rate(app.test_client(), token).status_code for token in tokens]
    assert answers == [201, 201, 429]
    assert rating_count() == 2


def test_refused_attempts_do_not_spend_the_raters_allowance(app, client, codes):
    """Duplicates are refused with 409; only accepted ratings count toward the daily cap."""
    app.config["RATING_RATE_LIMIT_RATER"] = "2 per day"
    assert rate(client, codes["window"]).status_code == 201
    for _ in range(5):
        assert rate(client, codes["window"]).status_code == 409
    assert rate(client, codes["badge"]).status_code == 201


def test_a_rating_in_flight_holds_its_place_in_the_allowance_in_memory(app, client, codes, world):
    """Without Redis too: the rating is taken from the allowance before the view runs, so a second
    request of the rater while the first is in its view finds the one place taken; a rating that
    fails gives its place back."""
    from werkzeug.exceptions import TooManyRequests

    from server.ratings.limits import RatingBudget

    app.config["RATING_RATE_LIMIT_RATER"] = "2 per day"
    assert rate(client, codes["window"], headers=world.citizen_headers).status_code == 201
    with app.test_request_context("/api/v1/ratings", method="POST", headers=world.citizen_headers):
        first = RatingBudget(app.config)
        first.reserve()
        with pytest.raises(TooManyRequests):
            RatingBudget(app.config).reserve()
        first.release()
    assert rate(client, codes["badge"], headers=world.citizen_headers).status_code == 201
    assert rate(client, issue_code("badge", world.b.member).token, headers=world.citizen_headers).status_code == 429


def test_attempts_per_address_are_capped(app, codes):
    app.config["RATING_ATTEMPT_LIMIT_IP"] = "5 per minute"
    statuses = [rate(app.test_client(), "no-such-token").status_code for _ in range(7)]
    assert statuses == [404] * 5 + [429] * 2


class TestConcurrency:
    """50 parallel submissions by one rater against a real threaded server: one lands."""

    @pytest.fixture
    def app(self, live_app):
        return live_app

    @pytest.mark.parametrize("who", ["wechat", "device"])
    def test_fifty_parallel_submissions_give_one_201(self, live_server, world, codes, who):
        session = requests.Session()
        headers = {}
        if who == "wechat":
            headers = bearer("wechat", world.citizen)
        else:
            # The device's cookie comes from a first rating of another target.
            first = session.post(f"{live_server}/api/v1/ratings", json={"token": codes["badge"], "score": 5})
            assert first.status_code == 201 and session.cookies.get("rs_device")
        cookies = session.cookies.get_dict()

        def submit(_):
            return requests.post(f"{live_server}/api/v1/ratings", json={"token": codes["window"], "score": 2,
                                 "tags": ["推诿"]}, headers=headers, cookies=cookies, timeout=30)

        with ThreadPoolExecutor(max_workers=50) as pool:
            responses = list(pool.map(submit, range(50)))
        statuses = sorted(r.status_code for r in responses)
        assert statuses.count(201) == 1, statuses
        assert statuses.count(409) == 49, statuses
        assert all(r.json()["error"]["code"] == "already_rated" for r in responses if r.status_code == 409)
        db.session.rollback()  # end this test's own read transaction: see the server's writes
        window_ratings = db.session.scalars(select(Rating).where(Rating.window_id == world.a.window.id)).all()
        assert len(window_ratings) == 1
        assert db.session.scalar(select(func.count()).select_from(Case)) == 1
