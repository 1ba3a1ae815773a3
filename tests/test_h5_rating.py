"""The H5 rating form on /q/{token}: plain form posts (no JavaScript), its anti-forgery token,
the API's rules answered as pages, and input kept when something needs fixing."""
import re
from html.parser import HTMLParser

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from conftest import db_snapshot
from server import messages
from server.extensions import db
from server.models import Case, QrCode, Rating
from server.qr.services import revoke_code
from server.ratings import h5_form
from server.ratings.moderation import blocked_words
from server.schemas import local_zone

T = messages.H5
VOID = {"input", "br", "img", "meta", "link", "hr"}


class Page(HTMLParser):
    """What the tests read of an H5 page: its inputs, textareas, and the text inside each element id."""

    def __init__(self, response):
        super().__init__()
        self.status = response.status_code
        self.html = response.get_data(as_text=True)
        self.inputs, self.textareas, self.by_id, self.forms = [], {}, {}, []
        self._open, self._text = [], []
        self.feed(self.html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input":
            self.inputs.append(attrs)
        if tag == "form":
            self.forms.append(attrs)
        if tag not in VOID:
            self._open.append((tag, attrs, []))

    def handle_endtag(self, tag):
        while self._open:
            open_tag, attrs, parts = self._open.pop()
            text = "".join(parts)
            if attrs.get("id"):
                self.by_id[attrs["id"]] = text
            if open_tag == "textarea":
                self.textareas[attrs.get("name")] = text
            if open_tag == tag:
                break

    def handle_data(self, data):
        if self._open and self._open[-1][0] in ("script", "style"):
            return
        self._text.append(data)
        for _, _, parts in self._open:
            parts.append(data)

    @property
    def text(self):
        return re.sub(r"\s+", " ", "".join(self._text))

    def checked(self, name):
        return [i["value"] for i in self.inputs if i.get("name") == name and "checked" in i]

    def value(self, name):
        return next(i.get("value", "") for i in self.inputs if i.get("name") == name)


def open_form(client, token):
    """GET the code's page; returns it parsed (its csrf token in ``page.value("csrf")``)."""
    response = client.get(f"/q/{token}")
    assert response.status_code == 200 and response.mimetype == "text/html"
    return Page(response)


def post_form(client, token, csrf=None, **fields):
    """POST the form as a browser does: form-encoded, tags as repeated fields."""
    data = {name: value for name, value in fields.items() if value is not None}
    if csrf is not None:
        data["csrf"] = csrf
    return Page(client.post(f"/q/{token}/rate", data=data))


def rate(client, token, **fields):
    """Open the form and submit it with ``fields``."""
    return post_form(client, token, open_form(client, token).value("csrf"), **fields)


def rating_count():
    return db.session.scalar(select(func.count()).select_from(Rating))


def local_day(moment):
    local = moment.astimezone(local_zone())
    return f"{local.month}月{local.day}日"


# --- The form as served ---

@pytest.mark.parametrize("kind", ["window", "badge"])
def test_the_page_carries_a_form_that_needs_no_javascript(client, codes, kind):
    response = client.get(f"/q/{codes[kind]}")
    page = Page(response)
    assert page.forms == [{"id": "rate-form", "method": "post", "action": f"/q/{codes[kind]}/rate#rate-title",
                           "accept-charset": "utf-8"}]
    scores = [i for i in page.inputs if i.get("name") == "score"]
    assert [(i["type"], i["value"]) for i in scores] == [("radio", str(s)) for s in (5, 4, 3, 2, 1)]
    for score, label in messages.SCORE_LABELS.items():
        assert re.sub(r"\s+", "", page.html).count(f'for="score-{score}"><spanclass="num">{score}</span>{label}<') == 1
    tags = [i["value"] for i in page.inputs if i.get("name") == "tags"]
    assert tags == messages.POSITIVE_TAGS + messages.NEGATIVE_TAGS
    assert 'maxlength="500"' in page.html and "comment" in page.textareas
    assert page.value("contact") == "" and T["contact_label"] in page.text and T["contact_help"] in page.text
    assert page.value("csrf")
    # Without scripts every field is still there and nothing is hidden by the markup.
    assert " hidden" not in re.sub(r"<script\b.*?</script>", "", page.html, flags=re.S)
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"https?://", page.html)
    # A device cookie for the one-a-day rule; the page is this device's own.
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("rs_device=") and all(f in cookie for f in ("HttpOnly", "SameSite=Lax", "Secure"))
    assert response.headers["Cache-Control"] == "no-store"


def test_post_codes_have_no_rating_form(client, codes):
    response = client.get(f"/q/{codes['post']}")
    assert response.status_code == 200 and "<form" not in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers


def test_device_cookie_is_not_secure_on_plain_http(app, client, codes):
    app.config["PUBLIC_BASE_URL"] = "http://192.168.1.20:5000"
    cookie = client.get(f"/q/{codes['window']}").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_a_device_keeps_its_cookie(client, codes):
    assert "Set-Cookie" in client.get(f"/q/{codes['window']}").headers
    assert "Set-Cookie" not in client.get(f"/q/{codes['badge']}").headers


# --- Submitting ---

def test_a_good_rating_says_thanks(client, codes, world):
    page = rate(client, codes["window"], score="5", tags=["热情", "一次办结"], comment="办事很快，谢谢")
    assert page.status == 201, page.text
    assert T["thanks_title"] in page.text and "您的评价：非常满意" in page.text and T["thanks_good"] in page.text
    assert "答复" not in page.text
    rating = db.session.scalar(select(Rating))
    assert (rating.score, rating.tags, rating.comment, rating.window_id) == (5, ["热情", "一次办结"], "办事很快，谢谢", world.a.window.id)
    assert rating.rater_key.startswith("dev:") and rating.contact == ""
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_a_bad_rating_shows_the_case_deadlines(client, codes, world):
    page = rate(client, codes["badge"], score="1", tags=["态度差", "推诿"], comment="不理人", contact="13900001111")
    assert page.status == 201, page.text
    case = db.session.scalar(select(Case))
    rating = case.rating
    assert (rating.score, rating.member_id, rating.contact, rating.tags) == (1, world.a.member.id, "13900001111", ["态度差", "推诿"])
    expected = f"我们将在 {local_day(case.due_contact_at)} 前与您联系（如留有电话），并在 {local_day(case.due_resolve_at)} 前答复"
    assert expected in page.text
    assert "您的评价：非常不满意" in page.text and f"受理编号：{case.id}" in page.text and "甲站" in page.text


def test_a_comment_held_for_review_says_so(client, codes):
    word = blocked_words()[0]
    page = rate(client, codes["window"], score="3", comment=f"这里{word}")
    assert page.status == 201 and T["comment_pending"] in page.text


def test_second_rating_the_same_day_is_refused(client, codes):
    assert rate(client, codes["window"], score="5").status == 201
    page = rate(client, codes["window"], score="2", comment="改主意了")
    assert page.status == 409
    assert T["already_rated_title"] in page.text and messages.ALREADY_RATED["window"] in page.text
    assert f'href="/q/{codes["window"]}"' in page.html
    assert rating_count() == 1
    # The same device may still rate the person behind the counter.
    assert rate(client, codes["badge"], score="4").status == 201


def test_a_replayed_post_is_refused(client, codes):
    """The browser's "resubmit" after the thanks page sends the same form again."""
    csrf = open_form(client, codes["badge"]).value("csrf")
    assert post_form(client, codes["badge"], csrf, score="5").status == 201
    page = post_form(client, codes["badge"], csrf, score="5")
    assert page.status == 409 and messages.ALREADY_RATED["badge"] in page.text
    assert rating_count() == 1


def test_another_device_may_rate(app, client, codes):
    assert rate(client, codes["window"], score="5").status == 201
    assert rate(app.test_client(), codes["window"], score="4").status == 201
    keys = db.session.scalars(select(Rating.rater_key)).all()
    assert len(set(keys)) == 2


def test_reloading_the_answer_goes_back_to_the_page(client, codes):
    response = client.get(f"/q/{codes['window']}/rate")
    assert response.status_code == 302 and response.headers["Location"] == f"/q/{codes['window']}"


# --- Anti-forgery ---

def other_device_token(app, client, codes):
    return open_form(app.test_client(), codes["window"]).value("csrf")


def altered(token):
    """``token`` with one character of its signature changed: one well inside it, whose six bits all
    count (the last character's low bits do not, so changing it may leave the signature as it was)."""
    position = len(token) - 5
    return token[:position] + ("A" if token[position] != "A" else "B") + token[position + 1:]


def other_key_token(app, client, codes):
    return URLSafeTimedSerializer("not-the-key", salt=h5_form.FORM_TOKEN_SALT).dumps([codes["window"], "x"])


FORGERIES = {
    "missing": lambda app, client, codes: None,
    "empty": lambda app, client, codes: "",
    "garbage": lambda app, client, codes: "abc.def.ghi",
    "another_code": lambda app, client, codes: open_form(client, codes["badge"]).value("csrf"),
    "another_device": other_device_token,
    "another_key": other_key_token,
    "altered": lambda app, client, codes: altered(open_form(client, codes["window"]).value("csrf")),
}


@pytest.mark.parametrize("forgery", FORGERIES)
def test_a_post_without_this_forms_token_is_refused(app, client, codes, forgery):
    open_form(client, codes["window"])  # the device has its cookie
    csrf = FORGERIES[forgery](app, client, codes)
    before = db_snapshot()
    page = post_form(client, codes["window"], csrf, score="1", comment="伪造", tags=["推诿"])
    assert page.status == 400
    assert T["form_expired"] in page.text and page.value("csrf")  # a fresh form to try again
    assert db_snapshot() == before


def test_a_cross_site_post_arrives_without_the_cookie_and_is_refused(app, codes):
    """SameSite=Lax keeps the device cookie off another site's post; a valid token alone is not enough."""
    victim = app.test_client()
    csrf = open_form(victim, codes["window"]).value("csrf")
    victim.delete_cookie("rs_device")
    before = db_snapshot()
    page = post_form(victim, codes["window"], csrf, score="1")
    assert page.status == 400 and db_snapshot() == before


def test_an_expired_form_is_refused(client, codes, monkeypatch):
    csrf = open_form(client, codes["window"]).value("csrf")
    monkeypatch.setattr(h5_form, "FORM_TOKEN_MAX_AGE", -1)
    page = post_form(client, codes["window"], csrf, score="5", comment="晚了")
    assert page.status == 400 and T["form_expired"] in page.text and rating_count() == 0


# --- Mistakes are shown next to their field, with the input kept ---

def test_no_score_chosen_keeps_everything_else(client, codes):
    before = db_snapshot()
    page = rate(client, codes["window"], tags=["推诿", "多头跑"], comment="<b>跑了三趟</b>", contact="13800001111")
    assert page.status == 422
    assert T["form_has_errors"] in page.text and page.by_id["score-error"] == T["score_required"]
    assert page.checked("score") == [] and page.checked("tags") == ["推诿", "多头跑"]
    assert page.textareas["comment"] == "<b>跑了三趟</b>" and "&lt;b&gt;跑了三趟" in page.html
    assert page.value("contact") == "13800001111"
    assert db_snapshot() == before


def test_a_contact_with_a_good_score_is_refused_next_to_the_field(client, codes):
    before = db_snapshot()
    page = rate(client, codes["window"], score="4", tags=["热情"], comment="挺好", contact="13800001111")
    assert page.status == 422
    assert page.by_id["contact-error"] == messages.CONTACT_ONLY_FOR_BAD
    assert messages.CONTACT_ONLY_FOR_BAD in page.by_id["contact-box"] and "score-error" not in page.by_id
    assert page.checked("score") == ["4"] and page.checked("tags") == ["热情"]
    assert page.textareas["comment"] == "挺好" and page.value("contact") == "13800001111"
    assert 'aria-invalid="true"' in page.html
    assert db_snapshot() == before


@pytest.mark.parametrize("field, value, message", [
    ("comment", "长" * 501, "长度不能超过 500"),
    ("contact", "请打我电话", messages.CONTACT_INVALID),
])
def test_field_rules_of_the_api_schema_apply(client, codes, field, value, message):
    page = rate(client, codes["window"], score="2", **{field: value})
    assert page.status == 422 and page.by_id[f"{field}-error"] == message
    assert (page.textareas.get("comment") if field == "comment" else page.value("contact")) == value
    assert page.checked("score") == ["2"] and rating_count() == 0


def test_an_unknown_tag_is_refused(client, codes):
    page = rate(client, codes["window"], score="5", tags=["热情", "乱写"])
    assert page.status == 422 and messages.TAG_UNKNOWN in page.text and rating_count() == 0


def test_a_score_out_of_range_asks_for_a_choice(client, codes):
    page = rate(client, codes["window"], score="9")
    assert page.status == 422 and page.by_id["score-error"] == T["score_required"] and rating_count() == 0


# --- Codes that cannot be rated, and floods ---

def test_revoked_and_unknown_codes_answer_pages(client, codes, world):
    csrf = open_form(client, codes["window"]).value("csrf")
    revoke_code(db.session.scalar(select(QrCode).where(QrCode.token == codes["window"])))
    db.session.commit()
    page = post_form(client, codes["window"], csrf, score="5")
    assert page.status == 410 and T["revoked_title"] in page.text and "<html" in page.html
    page = post_form(client, "no-such-code", csrf, score="5")
    assert page.status == 404 and T["not_found_title"] in page.text
    assert rating_count() == 0


def test_a_post_code_has_no_form_to_post(client, codes):
    """A post's page carries no form, so no post to it bears a form token."""
    csrf = open_form(client, codes["window"]).value("csrf")
    before = db_snapshot()
    page = post_form(client, codes["post"], csrf, score="5")
    assert page.status == 400 and page.forms == [] and db_snapshot() == before


def test_floods_get_a_429_page(app, client, codes):
    app.config["RATING_ATTEMPT_LIMIT_IP"] = "3 per minute"
    csrf = open_form(client, codes["window"]).value("csrf")
    statuses = [post_form(client, codes["window"], csrf).status for _ in range(3)]
    assert statuses == [422] * 3
    page = post_form(client, codes["window"], csrf, score="5")
    assert page.status == 429 and T["rate_limited_title"] in page.text and "<html" in page.html
    assert rating_count() == 0


def test_the_api_and_the_form_share_one_allowance(app, client, codes):
    """A device cannot double its daily allowance by switching between the API and the page."""
    app.config["RATING_RATE_LIMIT_RATER"] = "1 per day"
    open_form(client, codes["window"])  # the device cookie, as a browser would have it
    assert client.post("/api/v1/ratings", json={"token": codes["window"], "score": 5}).status_code == 201
    page = rate(client, codes["badge"], score="5")
    assert page.status == 429 and rating_count() == 1
