"""A client for WeChat's server API over HTTP with requests.

Its base URL comes from WECHAT_API_BASE, so tests point it at a local server that speaks
the same protocol. WeChat's error codes become ApiErrors with Chinese messages here, once.

Logs name the API path and WeChat's errcode only: never the secret, the access token (it
rides in the URL, so exceptions are logged by type, not text), nor a user's openid.
"""
import hashlib
import json
import logging

import requests
from flask import current_app

from server import messages
from server.errors import ApiError
from server.redis_store import redis_client
from server.wechat.access_token import AccessTokenProvider, MemoryTokenCache, RedisTokenCache, TokenCacheUnavailable

log = logging.getLogger(__name__)

# jscode2session errcodes → (HTTP status, our code, Chinese message)
JSCODE2SESSION_ERRORS = {
    40029: (401, "wechat_code_invalid", messages.WECHAT_CODE_INVALID),
    40163: (401, "wechat_code_invalid", messages.WECHAT_CODE_INVALID),
    45011: (429, "wechat_rate_limited", messages.WECHAT_RATE_LIMITED),
    40226: (403, "wechat_user_blocked", messages.WECHAT_USER_BLOCKED),
    -1: (503, "wechat_busy", messages.WECHAT_BUSY),
}

# The access token was refused: 40001 invalid or not the latest, 40014 invalid, 42001 expired.
ACCESS_TOKEN_ERRCODES = frozenset({40001, 40014, 42001})

# msgSecCheck v2: scene 2 is "comment"; result.suggest is one of these.
MSG_SEC_CHECK_SCENE_COMMENT = 2
SUGGESTIONS = ("pass", "review", "risky")
# msgSecCheck v1's answer for risky content; v2 answers errcode 0 with suggest "risky" instead.
ERRCODE_RISKY_CONTENT = 87014

# subscribeMessage.send: the user has no quota left for the template (or refused it).
ERRCODE_SUBSCRIPTION_REFUSED = 43101


class WechatUnavailable(Exception):
    """WeChat could not be reached, or answered something that is not a JSON object."""


class WechatClient:
    """Calls WeChat's API for one appid."""

    def __init__(self, appid, secret, base_url, timeout, *, token_cache=None, miniprogram_state="formal"):
        self.appid = appid
        self.secret = secret
        self.base_url = base_url
        self.timeout = timeout
        self.miniprogram_state = miniprogram_state
        self.http = requests.Session()
        self.access_tokens = AccessTokenProvider(
            self._fetch_access_token, token_cache or MemoryTokenCache(), f"wechat:access_token:{appid}"
        )

    # --- HTTP ------------------------------------------------------------------------------

    def _request(self, method, path, *, params=None, body=None):
        """Send one request and return WeChat's JSON object, or raise WechatUnavailable."""
        try:
            response = self.http.request(
                method, self.base_url + path, params=params, timeout=self.timeout,
                # WeChat reads UTF-8 JSON; send Chinese as it is, not as \\u escapes.
                data=None if body is None else json.dumps(body, ensure_ascii=False).encode(),
                headers=None if body is None else {"Content-Type": "application/json; charset=utf-8"},
            )
            response.raise_for_status()
            data = response.json()
            if not isinstance(data, dict):
                raise ValueError("WeChat answered JSON that is not an object")
            return data
        except (requests.RequestException, ValueError) as exc:
            log.warning("WeChat %s unreachable: %s", path, type(exc).__name__)
            raise WechatUnavailable(path) from exc

    def _get(self, path, params):
        """GET a WeChat endpoint and return its JSON, or raise a 503 ApiError when unreachable."""
        try:
            return self._request("GET", path, params=params)
        except WechatUnavailable as exc:
            raise ApiError(503, "wechat_unavailable", messages.WECHAT_UNAVAILABLE) from exc

    def _fetch_access_token(self, force_refresh):
        """getStableAccessToken: (access_token, expires_in); raises WechatUnavailable on any failure."""
        data = self._request("POST", "/cgi-bin/stable_token", body={
            "grant_type": "client_credential", "appid": self.appid, "secret": self.secret,
            "force_refresh": force_refresh,
        })
        token, expires_in = data.get("access_token"), data.get("expires_in")
        if data.get("errcode") or not isinstance(token, str) or not token or not isinstance(expires_in, int):
            log.error("WeChat stable_token refused: errcode %s", data.get("errcode"))
            raise WechatUnavailable("/cgi-bin/stable_token")
        log.info("WeChat access token fetched (force_refresh=%s, expires_in=%s)", force_refresh, expires_in)
        return token, expires_in

    def _post_with_token(self, path, body):
        """POST to an API taking ?access_token=; a refused token is refreshed and the call made once more."""
        try:
            token = self.access_tokens.token()
            data = self._request("POST", path, params={"access_token": token}, body=body)
            if data.get("errcode") in ACCESS_TOKEN_ERRCODES:
                log.info("WeChat %s refused the access token (errcode %s); refreshing", path, data["errcode"])
                token = self.access_tokens.refresh(token)
                data = self._request("POST", path, params={"access_token": token}, body=body)
        except TokenCacheUnavailable as exc:
            log.warning("WeChat %s skipped: the shared access-token cache is unavailable (%s)", path, exc)
            raise WechatUnavailable(path) from exc
        return data

    # --- the APIs ----------------------------------------------------------------------------

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

    def msg_sec_check(self, openid, content):
        """msgSecCheck v2 on a comment: "pass", "review" or "risky"; None when WeChat gives no verdict.

        None (unreachable, token trouble, errcode such as 61010 "user not seen in 2 hours")
        lets the caller fall back to its local word list rather than guess either way.
        """
        try:
            data = self._post_with_token("/wxa/msg_sec_check", {
                "content": content, "version": 2, "scene": MSG_SEC_CHECK_SCENE_COMMENT, "openid": openid,
            })
        except WechatUnavailable:
            return None
        errcode = data.get("errcode") or 0
        if errcode == ERRCODE_RISKY_CONTENT:
            return "risky"
        if errcode:
            log.warning("WeChat msgSecCheck errcode %s", errcode)
            return None
        result = data.get("result")
        suggest = result.get("suggest") if isinstance(result, dict) else None
        if suggest not in SUGGESTIONS:
            log.warning("WeChat msgSecCheck answered no known suggest")
            return None
        return suggest

    def send_subscribe_message(self, openid, template_id, data, page=""):
        """subscribeMessage.send: True when WeChat accepted it; False on any failure, never raising.

        ``data`` maps the template's keys to plain values ({"thing1": "…"}); WeChat wants each
        wrapped as {"value": …}. 43101 (the user has no quota left, or refused) is routine.
        """
        body = {
            "touser": openid, "template_id": template_id, "page": page,
            "data": {key: {"value": value} for key, value in data.items()},
            "miniprogram_state": self.miniprogram_state, "lang": "zh_CN",
        }
        try:
            answer = self._post_with_token("/cgi-bin/message/subscribe/send", body)
        except WechatUnavailable:
            return False
        errcode = answer.get("errcode") or 0
        if errcode == ERRCODE_SUBSCRIPTION_REFUSED:
            log.info("WeChat subscribe message not sent: the user has no quota for the template (43101)")
        elif errcode:
            # 40003 openid, 40037 template_id, 47003 data, 41030 page: a setup problem to fix.
            log.warning("WeChat subscribe message refused: errcode %s", errcode)
        return errcode == 0


class LocalStandIn:
    """Development without an appid: every code maps to a stable fake openid.

    Logged loudly at start-up; ProductionConfig refuses to run without a real appid.
    """

    def msg_sec_check(self, openid, content):
        """No WeChat content check without an appid: the caller uses its local word list."""
        return None

    def send_subscribe_message(self, openid, template_id, data, page=""):
        """No subscribe messages without an appid; the unread notification still stands."""
        log.info("WeChat stand-in: subscribe message for template %s not sent", template_id)
        return False

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
            token_cache=_token_cache(app), miniprogram_state=app.config["WECHAT_MINIPROGRAM_STATE"],
        )
    else:
        app.logger.warning(
            "WECHAT_APPID is not set: WeChat login uses a LOCAL STAND-IN (any code logs in as a "
            "fake user derived from it). Never run like this in production."
        )
        client = LocalStandIn()
    app.extensions["wechat"] = client


def _token_cache(app):
    """One access token for every worker (in Redis) when REDIS_URL is set; else this process's memory."""
    client = redis_client(app)
    if client is None:
        return MemoryTokenCache()
    # A refresh is at most two fetches; the lock outlives them, and waiters outwait the lock.
    lock_seconds = 2 * app.config["WECHAT_TIMEOUT_SECONDS"] + 5
    return RedisTokenCache(client, prefix=app.config["REDIS_KEY_PREFIX"],
                           lock_seconds=lock_seconds, wait_seconds=lock_seconds + 2)


def wechat():
    """The current app's WeChat client."""
    return current_app.extensions["wechat"]
