"""A client for WeChat's server API over HTTP with requests.

Its base URL comes from WECHAT_API_BASE, so tests point it at a local server that speaks
the same protocol. WeChat's error codes become ApiErrors with Chinese messages here, once.
"""
import hashlib
import logging

import requests
from flask import current_app

from server import messages
from server.errors import ApiError

log = logging.getLogger(__name__)

# jscode2session errcodes → (HTTP status, our code, Chinese message)
JSCODE2SESSION_ERRORS = {
    40029: (401, "wechat_code_invalid", messages.WECHAT_CODE_INVALID),
    40163: (401, "wechat_code_invalid", messages.WECHAT_CODE_INVALID),
    45011: (429, "wechat_rate_limited", messages.WECHAT_RATE_LIMITED),
    40226: (403, "wechat_user_blocked", messages.WECHAT_USER_BLOCKED),
    -1: (503, "wechat_busy", messages.WECHAT_BUSY),
}


class WechatClient:
    """Calls WeChat's API for one appid."""

    def __init__(self, appid, secret, base_url, timeout):
        self.appid = appid
        self.secret = secret
        self.base_url = base_url
        self.timeout = timeout
        self.http = requests.Session()

    def _get(self, path, params):
        """GET a WeChat endpoint and return its JSON, or raise a 503 ApiError when unreachable."""
        try:
            response = self.http.get(self.base_url + path, params=params, timeout=self.timeout)
            response.raise_for_status()
            data = response.json()
            if not isinstance(data, dict):
                raise ValueError("WeChat answered JSON that is not an object")
            return data
        except (requests.RequestException, ValueError) as exc:
            log.warning("WeChat %s unreachable: %s", path, type(exc).__name__)
            raise ApiError(503, "wechat_unavailable", messages.WECHAT_UNAVAILABLE) from exc

    def code_to_session(self, code):
        """Exchange a wx.login code for {"openid", "session_key", "unionid"}."""
        data = self._get(
            "/sns/jscode2session",
            {"appid": self.appid, "secret": self.secret, "js_code": code, "grant_type": "authorization_code"},
        )
        errcode = data.get("errcode") or 0
        if errcode:
            log.info("jscode2session errcode %s", errcode)
            status, code_slug, message = JSCODE2SESSION_ERRORS.get(
                errcode, (503, "wechat_error", messages.WECHAT_ERROR)
            )
            raise ApiError(status, code_slug, message)
        if not data.get("openid") or not isinstance(data["openid"], str):
            raise ApiError(503, "wechat_error", messages.WECHAT_ERROR)
        return {"openid": data["openid"], "session_key": data.get("session_key"), "unionid": data.get("unionid")}


class LocalStandIn:
    """Development without an appid: every code maps to a stable fake openid.

    Logged loudly at start-up; ProductionConfig refuses to run without a real appid.
    """

    def msg_sec_check(self, openid, content):
        """No WeChat content check without an appid: the caller uses its local word list."""
        return None

    def code_to_session(self, code):
        """Derive a fake openid from the code, so the same code is the same person."""
        digest = hashlib.sha256(code.encode()).hexdigest()
        return {"openid": "dev-" + digest[:24], "session_key": None, "unionid": None}


def init_app(app):
    """Attach the WeChat client (or the stand-in) to the app."""
    if app.config.get("WECHAT_APPID"):
        client = WechatClient(
            app.config["WECHAT_APPID"], app.config["WECHAT_SECRET"],
            app.config["WECHAT_API_BASE"], app.config["WECHAT_TIMEOUT_SECONDS"],
        )
    else:
        app.logger.warning(
            "WECHAT_APPID is not set: WeChat login uses a LOCAL STAND-IN (any code logs in as a "
            "fake user derived from it). Never run like this in production."
        )
        client = LocalStandIn()
    app.extensions["wechat"] = client


def wechat():
    """The current app's WeChat client."""
    return current_app.extensions["wechat"]
