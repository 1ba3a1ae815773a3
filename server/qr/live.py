"""Rotating check-in codes for a screen at a post: valid for at most 60 seconds.

A live code is ``L.{post_id}.{step}.{signature}``; ``step`` counts 30-second periods and the
signature is an HMAC under SECRET_KEY. A code is accepted in its own period and the next,
so a photograph of the screen stops working within a minute.
"""
import hashlib
import hmac
import time

from flask import current_app

from server import messages
from server.errors import ApiError
from server.extensions import db
from server.models import Post

STEP_SECONDS = 30
PREFIX = "L."


def _signature(kind, *parts):
    key = current_app.config["SECRET_KEY"].encode()
    message = ":".join([kind, *map(str, parts)]).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:20]


def is_live_code(token):
    return token.startswith(PREFIX)


def live_code(post, now=None):
    """The post's current live code and the time (epoch seconds) it stops being accepted."""
    step = int((now if now is not None else time.time()) // STEP_SECONDS)
    return f"{PREFIX}{post.id}.{step}.{_signature('live', post.id, step)}", (step + 2) * STEP_SECONDS


def read_live_code(token, now=None):
    """The Post a live code belongs to; 404 when forged, 410 ``code_expired`` when too old."""
    try:
        post_id, step, signature = token[len(PREFIX):].split(".")
        post_id, step = int(post_id), int(step)
    except ValueError:
        raise ApiError(404, "code_unknown", messages.CODE_UNKNOWN)
    if not hmac.compare_digest(signature, _signature("live", post_id, step)):
        raise ApiError(404, "code_unknown", messages.CODE_UNKNOWN)
    current = int((now if now is not None else time.time()) // STEP_SECONDS)
    if not current - 1 <= step <= current:
        raise ApiError(410, "code_expired", messages.LIVE_CODE_EXPIRED)
    post = db.session.get(Post, post_id)
    if post is None:
        raise ApiError(404, "code_unknown", messages.CODE_UNKNOWN)
    return post


def display_key(post):
    """The key in a post's display-page URL: only someone given the URL by an admin can open it."""
    return _signature("display", post.id)


def check_display_key(post, key):
    return hmac.compare_digest(key or "", display_key(post))
