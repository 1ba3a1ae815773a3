"""Deciding whether a rating's comment is shown at once or held for an admin's review.

With WeChat configured and a WeChat rater, msgSecCheck v2 decides (result.suggest: pass
shows; review/risky hides). Otherwise — H5 raters have no openid — a local word list does.
The rating itself always counts; only the comment's visibility depends on this.

When WeChat gives no verdict (unreachable, token trouble, or an errcode such as 61010 for a
user not seen in two hours) the local word list decides, as if WeChat were not configured:
hiding every comment during an outage would silence citizens for WeChat's fault, and
showing every one would skip the check; the word list is the check we always have. An
admin can still hide a shown comment, or show a held one (server.ratings.comment_review).
"""
import functools
from pathlib import Path

from server.wechat.client import wechat

WORDS_FILE = Path(__file__).with_name("blocked_words.txt")


@functools.cache
def blocked_words():
    lines = WORDS_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def local_check(text):
    """'pass' or 'review' by the local word list."""
    return "review" if any(word in text for word in blocked_words()) else "pass"


def comment_status(text, openid=None):
    """'shown' or 'hidden' (pending review) for a comment; an empty comment is shown."""
    if not text:
        return "shown"
    suggest = wechat().msg_sec_check(openid, text) if openid else None
    if suggest is None:
        suggest = local_check(text)
    return "shown" if suggest == "pass" else "hidden"
