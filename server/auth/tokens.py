"""Bearer tokens: signed, expiring, and revocable by raising the account's token_version."""
import functools
import time

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

SALT = "red-station-auth-v1"


def _serializer():
    """The token serializer for this app's SECRET_KEY (every request reads a token)."""
    return _serializer_for(current_app.config["SECRET_KEY"])


@functools.lru_cache(maxsize=8)
def _serializer_for(key):
    """Made once per key."""
    return URLSafeSerializer(key, salt=SALT)


def issue(kind, account):
    """Return (token, expires_in) for an Admin ("admin") or WechatUser ("wechat")."""
    ttl = current_app.config["ADMIN_TOKEN_TTL_SECONDS" if kind == "admin" else "WECHAT_TOKEN_TTL_SECONDS"]
    payload = {"k": kind, "id": account.id, "v": account.token_version, "exp": int(time.time()) + ttl}
    return _serializer().dumps(payload), ttl


def read(token):
    """Return the token's payload, or None when it is forged, malformed or expired."""
    try:
        payload = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("exp", 0) < time.time():
        return None
    return payload
