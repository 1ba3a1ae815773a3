"""The H5 rating form on /q/{token}: its anti-forgery token, what it shows, and how a post reads.

The form is plain HTML that works without JavaScript. server/scan/routes.py serves it and
takes its post; the post is read with the API's schema and decided by the API's service
(submit_rating), so the H5 page holds no rating rule of its own.

Anti-forgery, and why this way: the form is anonymous, so there is no login session to keep a
CSRF secret in. Each render instead carries a token signed with SECRET_KEY (itsdangerous)
that binds the scanned code's token and a digest of the rater's device id (from the signed
device cookie, handed out when the form is first shown), and expires after two hours. The
device cookie is HttpOnly and SameSite=Lax, so a form posted from another site arrives
without it and cannot match any token; and a token an attacker fetches for themselves names
the attacker's device, not the victim's. Nothing is stored on the server, so any worker can
check any token, across restarts.
"""
import hashlib

from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from marshmallow import ValidationError

from server import messages
from server.errors import ApiError
from server.ratings.schemas import RatingFormSchema
from server.ratings.services import BAD_SCORES, submit_rating
from server.schemas import local_zone

FORM_TOKEN_SALT = "rs-h5-rating-form-v1"
FORM_TOKEN_MAX_AGE = 2 * 3600
FORM_FIELDS = ("score", "tags", "comment", "contact")


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=FORM_TOKEN_SALT)


def _device_digest(rater):
    # The token is signed, not encrypted: it carries a digest of the rater, never the device id.
    return hashlib.sha256(rater.key.encode()).hexdigest()[:24]


def form_token(code_token, rater):
    """A fresh anti-forgery token for the form of ``code_token`` shown to ``rater``."""
    return _serializer().dumps([code_token, _device_digest(rater)])


def form_token_valid(value, code_token, rater):
    """True for a token rendered for this code and this device less than two hours ago."""
    if not value or len(value) > 300:
        return False
    try:
        payload = _serializer().loads(value, max_age=FORM_TOKEN_MAX_AGE)
    except BadSignature:  # forged, altered or expired (SignatureExpired is a BadSignature)
        return False
    return payload == [code_token, _device_digest(rater)]


def rating_form(code_token, rater, values=None, errors=None, notice=None):
    """What the form template shows: levels, tags, the citizen's input and the problems with it."""
    return {
        # A form shown again with its problems opens scrolled to them; the thanks page has no such anchor.
        "action": url_for("h5.rate_page", token=code_token) + "#rate-title",
        "csrf": form_token(code_token, rater),
        "levels": sorted(messages.SCORE_LABELS.items(), reverse=True),
        "bad_scores": BAD_SCORES,
        "positive_tags": messages.POSITIVE_TAGS,
        "negative_tags": messages.NEGATIVE_TAGS,
        "input": values or {"score": None, "tags": [], "comment": "", "contact": ""},
        "errors": errors or {},
        "notice": notice,
    }


def posted_values(form):
    """The citizen's input as posted, to show the form again just as they left it."""
    score = form.get("score", "")
    return {
        "score": int(score) if score in {str(level) for level in messages.SCORE_LABELS} else None,
        "tags": form.getlist("tags"),
        "comment": form.get("comment", ""),
        "contact": form.get("contact", ""),
    }


def _flatten(problems):
    if isinstance(problems, str):
        return [problems]
    items = problems.values() if isinstance(problems, dict) else problems
    return list(dict.fromkeys(message for item in items for message in _flatten(item)))


def field_messages(problems):
    """{field: [message]} for the form, from the schema's or a rule's problems.

    A missing or odd score can only mean "nothing chosen" on this page, so it says that.
    Problems of fields the form does not show go under "other".
    """
    shown = {}
    for name, value in problems.items():
        key = name if name in FORM_FIELDS else "other"
        shown[key] = list(dict.fromkeys(shown.get(key, []) + _flatten(value)))
    if "score" in shown:
        shown["score"] = [messages.H5["score_required"]]
    return shown


def submit(rater, code_token, form):
    """Read the posted form with the API's schema and rate with the API's service.

    Returns (rating, case); a problem with a field is an ApiError 422 naming it, as in the API.
    """
    data = form.copy()
    data["token"] = code_token
    try:
        loaded = RatingFormSchema().load(data)
    except ValidationError as error:
        raise ApiError(422, "validation_error", messages.HTTP_ERRORS[422][1], fields=error.messages)
    rating, case, _created = submit_rating(rater, **loaded)
    return rating, case


def _day(moment):
    local = moment.astimezone(local_zone())
    return messages.H5["date"].format(month=local.month, day=local.day)


def thanks(rating, case, unit_name):
    """The thanks page's lines: the score given and, for a bad rating, the case's deadlines."""
    t = messages.H5
    view = {
        "score": t["thanks_score"].format(label=messages.SCORE_LABELS[rating.score]),
        "comment_hidden": rating.comment_status == "hidden",
        "case": None,
    }
    if case is not None:
        view["case"] = {
            "handover": t["thanks_bad"].format(unit=unit_name),
            "deadlines": t["case_deadlines"].format(contact=_day(case.due_contact_at), resolve=_day(case.due_resolve_at)),
            "number": t["case_number"].format(id=case.id),
        }
    return view
