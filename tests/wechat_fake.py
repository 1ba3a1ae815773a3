"""A local stand-in for WeChat's server API (api.weixin.qq.com), spoken over real HTTP.

The app under test talks to it exactly as it talks to WeChat: WECHAT_API_BASE points here,
and requests go out through the app's own HTTP client. The fake answers with WeChat's
documented paths, parameters, JSON shapes and error codes (errors are HTTP 200 with
``{"errcode": N, "errmsg": "..., rid: ..."}``), records every request it receives, and
lets a test program what happens next::

    with FakeWechat() as wx:
        code = wx.new_code(openid="o-alice")       # a wx.login code that works once
        wx.add_code("BLOCKED", errcode=40226)      # this code answers "high risk user"
        wx.fail_next(-1)                           # the next request answers "system error"
        wx.reply_next("<html>502</html>")          # the next request gets a raw, non-JSON reply
        wx.delay = 1.5                             # answer every request 1.5 s late
        ...
        assert wx.requests[-1].query["js_code"] == code

Endpoints so far:
  GET  /sns/jscode2session?appid&secret&js_code&grant_type=authorization_code  (code2Session)
  POST /cgi-bin/stable_token  {grant_type: client_credential, appid, secret, force_refresh}
  POST /wxa/msg_sec_check?access_token  {content, version: 2, scene, openid}  (msgSecCheck v2)
  POST /cgi-bin/message/subscribe/send?access_token  {touser, template_id, page, data, ...}

Content checks answer "pass" unless a test says otherwise::

        wx.verdicts["脏话"] = ("risky", 20003)     # any content containing it is risky
        wx.add_template("TPL-1", ["thing1", "time2"])  # a subscribe-message template and its keys
        wx.grant("o-admin", "TPL-1", times=2)        # the user tapped "accept" twice
        wx.sent                                      # the subscribe messages WeChat accepted

Add another endpoint with ``wx.route("POST", "/wxa/msg_sec_check", handler)`` (or a
subclass calling it in ``__init__``); a handler takes a ``Recorded`` request and returns a
dict (sent as JSON, HTTP 200) or a ``Reply``. Endpoints that take ``?access_token=`` can
start with ``error = self.check_access_token(request)`` and return it when not None.
"""
import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

APPID = "wx-test-appid"
SECRET = "test-secret"

# errcode → errmsg as WeChat words them (a ", rid: ..." suffix is added on every answer).
ERRMSGS = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40013: "invalid appid",
    40014: "invalid access_token",
    40029: "invalid code",
    40037: "invalid template_id",
    40125: "invalid appsecret",
    40129: "invalid scene",
    40163: "code been used",
    40226: "high risk user",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41008: "missing code",
    42001: "access_token expired",
    43101: "user refuse to accept the msg",
    44002: "empty post data",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit  mustslower  retry next minute",
    47001: "data format error",
    47003: "argument invalid!",
    61010: "user access record expired",
    87014: "risky content",
}


@dataclass
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    query: dict  # first value of each query parameter
    body: bytes
    headers: dict
    json: object = None  # the parsed body, when it was JSON
    at: float = field(default_factory=time.monotonic)


@dataclass
class Reply:
    """A raw answer: any status, body and content type (for malformed or gateway replies)."""

    body: object = b""
    status: int = 200
    content_type: str = "application/json; encoding=utf-8"

    def encoded(self):
        if isinstance(self.body, (dict, list)):
            return json.dumps(self.body).encode()
        return self.body.encode() if isinstance(self.body, str) else self.body


def error(errcode, errmsg=None):
    """WeChat's error body for ``errcode``."""
    message = errmsg or ERRMSGS.get(errcode, "unknown error")
    return {"errcode": errcode, "errmsg": f"{message}, rid: {uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:8]}"}


class FakeWechat:
    """A programmable WeChat API server on 127.0.0.1, in a background thread."""

    def __init__(self, appid=APPID, secret=SECRET):
        self.appid = appid
        self.secret = secret
        self.requests: list[Recorded] = []
        self.delay = 0.0  # seconds to wait before answering any request (timeouts)
        self._codes = {}  # js_code → {"openid", "session_key", "unionid"} or {"errcode"}
        self._used_codes = set()
        self._next = []  # one-shot overrides: (path or None, Reply | dict)
        self._routes = {}
        self._access_tokens = {}  # token → expiry (time.monotonic())
        self._current_token = None
        self.verdicts = {}  # word → (suggest, label): msg_sec_check's answer for content holding it
        self._templates = {}  # template_id → the keys of its data
        self._quota = {}  # (openid, template_id) → messages the user accepted and not yet received
        self.sent = []  # subscribe messages accepted: the request bodies
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = None
        self._thread = None
        self.route("GET", "/sns/jscode2session", self._jscode2session)
        self.route("POST", "/cgi-bin/stable_token", self._stable_token)
        self.route("POST", "/wxa/msg_sec_check", self._msg_sec_check)
        self.route("POST", "/cgi-bin/message/subscribe/send", self._subscribe_send)

    # --- lifecycle -------------------------------------------------------------------------

    def start(self):
        """Listen on a free port of 127.0.0.1 and serve in a daemon thread."""
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._stopping.clear()
        self._httpd = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-wechat", daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        """Stop serving and close the port; delayed answers are cut short, nothing hangs."""
        if self._httpd is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
        self._httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def port(self):
        return self._httpd.server_address[1]

    @property
    def base_url(self):
        """What WECHAT_API_BASE should be set to."""
        return f"http://127.0.0.1:{self.port}"

    # --- programming it ---------------------------------------------------------------------

    def route(self, method, path, handler):
        """Serve ``method path`` with ``handler(recorded) -> dict | Reply``."""
        self._routes[(method.upper(), path)] = handler

    def add_code(self, code, openid=None, *, session_key=None, unionid=None, errcode=None):
        """Make ``code`` a wx.login code: ok (logs in as ``openid``) or answering ``errcode``."""
        with self._lock:
            if errcode is not None:
                self._codes[code] = {"errcode": errcode}
            else:
                self._codes[code] = {
                    "openid": openid or "o" + secrets.token_urlsafe(20),
                    "session_key": session_key or secrets.token_urlsafe(16) + "==",
                    "unionid": unionid,
                }
            self._used_codes.discard(code)
        return code

    def new_code(self, openid=None, **kwargs):
        """A fresh working code (like wx.login's) that logs in as ``openid``."""
        return self.add_code("0" + secrets.token_hex(15), openid, **kwargs)

    def session_of(self, code):
        """What a working code answers: {"openid", "session_key", "unionid"}."""
        return dict(self._codes[code])

    def fail_next(self, errcode, errmsg=None, *, path=None, times=1):
        """The next ``times`` requests (to ``path``, or any) answer WeChat's error ``errcode``."""
        self.reply_next(Reply(error(errcode, errmsg)), path=path, times=times)

    def reply_next(self, reply, *, path=None, times=1):
        """The next ``times`` requests (to ``path``, or any) get ``reply``: a Reply, dict or str."""
        if not isinstance(reply, Reply):
            reply = Reply(reply)
        with self._lock:
            self._next.extend([(path, reply)] * times)

    def calls(self, path):
        """The recorded requests to ``path``."""
        return [r for r in self.requests if r.path == path]

    def add_template(self, template_id, keys):
        """A subscribe-message template of the mini-program, with the keys its data must have."""
        self._templates[template_id] = tuple(keys)

    def grant(self, openid, template_id, times=1):
        """The user accepted ``template_id`` in wx.requestSubscribeMessage ``times`` times."""
        with self._lock:
            self._quota[openid, template_id] = self._quota.get((openid, template_id), 0) + times

    def quota(self, openid, template_id):
        """Messages of ``template_id`` the user may still receive."""
        return self._quota.get((openid, template_id), 0)

    def known_openids(self):
        """The openids this fake has handed out through jscode2session."""
        return {entry["openid"] for entry in self._codes.values() if "openid" in entry}

    def valid_access_token(self, token):
        """True when ``token`` was issued by stable_token and has not expired."""
        expiry = self._access_tokens.get(token)
        return expiry is not None and expiry > time.monotonic()

    def expire_access_tokens(self):
        """Let every issued access_token expire now (the next use answers 42001)."""
        with self._lock:
            self._access_tokens = dict.fromkeys(self._access_tokens, 0.0)
            self._current_token = None

    def check_access_token(self, request):
        """WeChat's answer to a missing, unknown or expired ``?access_token=``, or None if valid."""
        token = request.query.get("access_token")
        if not token:
            return error(41001)
        if token not in self._access_tokens:
            return error(40001)
        if not self.valid_access_token(token):
            return error(42001)
        return None

    # --- the endpoints ----------------------------------------------------------------------

    def _check_app(self, appid, secret):
        if not appid:
            return error(41002)
        if not secret:
            return error(41004)
        if appid != self.appid:
            return error(40013)
        if secret != self.secret:
            return error(40125)
        return None

    def _jscode2session(self, request):
        q = request.query
        problem = self._check_app(q.get("appid"), q.get("secret"))
        if problem:
            return problem
        code = q.get("js_code")
        if not code:
            return error(41008)
        if q.get("grant_type") != "authorization_code":
            return error(40002)
        with self._lock:
            entry = self._codes.get(code)
            if entry is None:
                return error(40029)
            if "errcode" in entry:
                return error(entry["errcode"])
            if code in self._used_codes:
                return error(40163)
            self._used_codes.add(code)
        answer = {"session_key": entry["session_key"], "openid": entry["openid"]}
        if entry["unionid"]:
            answer["unionid"] = entry["unionid"]
        # WeChat sends this one as text/plain, so a client must not rely on the content type.
        return Reply(answer, content_type="text/plain")

    def _stable_token(self, request):
        body = request.json if isinstance(request.json, dict) else None
        if body is None:
            return error(44002 if not request.body else 47001)
        if body.get("grant_type") != "client_credential":
            return error(40002)
        problem = self._check_app(body.get("appid"), body.get("secret"))
        if problem:
            return problem
        with self._lock:
            now = time.monotonic()
            token = self._current_token
            if body.get("force_refresh") or token is None or self._access_tokens.get(token, 0) <= now:
                if body.get("force_refresh") and token is not None:
                    # A forced refresh invalidates the previous token (it then answers 40001).
                    self._access_tokens.pop(token, None)
                token = secrets.token_urlsafe(48)
                self._access_tokens[token] = now + 7200
                self._current_token = token
            # A fresh token lives 7200 s; the same token handed out again reports what is left.
            expires_in = max(0, round(self._access_tokens[token] - now))
        return {"access_token": token, "expires_in": expires_in}

    def _json_body(self, request):
        """The request's JSON object, or WeChat's error for an empty or malformed body."""
        if not request.body:
            return None, error(44002)
        if not isinstance(request.json, dict):
            return None, error(47001)
        return request.json, None

    def _authorised_json(self, request):
        """The JSON body of a call carrying a valid access_token, or WeChat's error for either."""
        problem = self.check_access_token(request)
        if problem:
            return None, problem
        return self._json_body(request)

    def _msg_sec_check(self, request):
        body, problem = self._authorised_json(request)
        if problem:
            return problem
        if body.get("version") != 2:
            return error(47001, "version must be 2")
        if body.get("scene") not in (1, 2, 3, 4):
            return error(40129)
        content = body.get("content")
        if not isinstance(content, str) or not content:
            return error(44002)
        if body.get("openid") not in self.known_openids():
            return error(40003)
        suggest, label = "pass", 100
        for word, verdict in self.verdicts.items():
            if word in content:
                suggest, label = verdict
                break
        trace_id = uuid.uuid4().hex
        return {
            "errcode": 0, "errmsg": "ok", "trace_id": trace_id,
            "result": {"suggest": suggest, "label": label},
            "detail": [
                {"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": label, "prob": 90},
                {"strategy": "keyword", "errcode": 0, "suggest": suggest, "label": label,
                 "level": 20 if suggest == "pass" else 90, "keyword": ""},
            ],
        }

    def _subscribe_send(self, request):
        body, problem = self._authorised_json(request)
        if problem:
            return problem
        openid, template_id = body.get("touser"), body.get("template_id")
        if openid not in self.known_openids():
            return error(40003)
        keys = self._templates.get(template_id)
        if keys is None:
            return error(40037)
        data = body.get("data")
        if not isinstance(data, dict) or set(data) != set(keys):
            return error(47003, f"argument invalid! data keys must be {', '.join(keys)}")
        for key, item in data.items():
            value = item.get("value") if isinstance(item, dict) else None
            if not isinstance(value, str) or not _valid_template_value(key, value):
                return error(47003, f"argument invalid! data.{key}.value invalid")
        if body.get("miniprogram_state", "formal") not in ("developer", "trial", "formal"):
            return error(47001)
        if body.get("lang", "zh_CN") not in ("zh_CN", "en_US", "zh_HK", "zh_TW"):
            return error(47001)
        with self._lock:
            if self._quota.get((openid, template_id), 0) <= 0:
                return error(43101)
            self._quota[openid, template_id] -= 1
            self.sent.append(body)
        return {"errcode": 0, "errmsg": "ok", "msgid": len(self.sent)}

    # --- dispatch (called from the server's threads) ----------------------------------------

    def _answer(self, recorded):
        with self._lock:
            self.requests.append(recorded)
            override = None
            for i, (path, reply) in enumerate(self._next):
                if path is None or path == recorded.path:
                    override = self._next.pop(i)[1]
                    break
        if self.delay:
            self._stopping.wait(self.delay)
        if override is not None:
            return override
        handler = self._routes.get((recorded.method, recorded.path))
        if handler is None:
            # WeChat answers an unknown path with HTTP 200 and this body.
            return Reply(error(-1, "invalid url domain or path"))
        reply = handler(recorded)
        return reply if isinstance(reply, Reply) else Reply(reply)


# Subscribe-message values by the type prefix of their key (WeChat's documented limits).
_CJK = re.compile(r"^[\u4e00-\u9fff]+$")
_TIME = re.compile(r"^((\d{4}年)?\d{1,2}月\d{1,2}日 |\d{4}-\d{2}-\d{2} )?\d{1,2}:\d{2}(:\d{2})?$")


def _valid_template_value(key, value):
    """Whether ``value`` suits the template key's type (thing1, time2, phrase3 …)."""
    kind = re.sub(r"\d+$", "", key)
    if "\n" in value or not value:
        return False
    if kind == "thing":
        return len(value) <= 20
    if kind == "phrase":
        return len(value) <= 5 and bool(_CJK.match(value))
    if kind == "time":
        return bool(_TIME.match(value))
    if kind == "character_string":
        return len(value) <= 32 and value.isascii()
    return len(value) <= 20


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        """A client that gave up (timeout) before the answer is expected; stay quiet."""


class _Handler(BaseHTTPRequestHandler):
    server_fake: FakeWechat = None

    def _serve(self):
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        recorded = Recorded(
            method=self.command, path=parts.path,
            query={k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()},
            body=body, headers=dict(self.headers.items()), json=parsed,
        )
        reply = self.server_fake._answer(recorded)
        payload = reply.encoded()
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _serve

    def log_message(self, format, *args):
        """No access log on stderr."""
