"""HTTP hardening applied to every response, and the proxy trust the client address depends on.

Headers: nosniff, no framing (X-Frame-Options and CSP frame-ancestors), a same-origin
Referer (a /q/<token> path never leaks to another site; the console's CSRF check still sees
its own origin), no camera/microphone/geolocation, HSTS when the site is public over HTTPS,
and a Content-Security-Policy: HTML pages may run only scripts carrying this response's
nonce (``<script nonce="{{ csp_nonce() }}">``) or served from the site itself; inline
styles are allowed (the H5 pages are single files with inline CSS, no external assets), and
images from any https host (a member's photo_url on the badge page is an admin-entered URL).
Answers to authenticated requests are never stored by a cache on the way. And URLs that
libraries log (urllib3 at DEBUG prints WeChat's ?secret= and ?access_token=) are redacted.
"""
import logging
import re
import secrets

from flask import current_app, g, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

HTML_POLICY = ("default-src 'self'; script-src 'self'{nonce}; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data: https:; object-src 'none'; base-uri 'self'; form-action 'self'; "
               "frame-ancestors 'none'")
JSON_POLICY = "default-src 'none'; frame-ancestors 'none'"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=()"


def csp_nonce():
    """This response's script nonce (made on first use), for templates' inline <script> tags."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


ALWAYS = (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"), ("Referrer-Policy", "same-origin"),
          ("Permissions-Policy", PERMISSIONS_POLICY))


def add_security_headers(response):
    """Set the hardening headers a view did not set itself (every response: the names already
    there are read once, not looked up header by header)."""
    headers = response.headers
    present = {name.lower() for name in headers.keys()}
    wanted = list(ALWAYS)
    if response.mimetype == "text/html":
        nonce = g.get("csp_nonce")
        wanted.append(("Content-Security-Policy", HTML_POLICY.format(nonce=f" 'nonce-{nonce}'" if nonce else "")))
    elif response.mimetype == "application/json":
        wanted.append(("Content-Security-Policy", JSON_POLICY))
    hsts_seconds = _hsts_seconds()
    if hsts_seconds:
        wanted.append(("Strict-Transport-Security", f"max-age={hsts_seconds}"))
    if "Authorization" in request.headers or request.path.startswith("/admin/"):
        wanted.append(("Cache-Control", "no-store"))
    for name, value in wanted:
        if name.lower() not in present:
            headers.add(name, value)
    return response


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session (the console's), whose signing serializer Flask builds anew on
    every request, API calls included: built once here, and again only when the keys change."""

    def __init__(self):
        self._serializer_keys = self._serializer = None

    def open_session(self, app, request):
        """A request without a Cookie header (every API call) gets a new empty session without the
        cookie parsing and serializer lookup Flask's open_session starts with."""
        if not request.environ.get("HTTP_COOKIE") and app.secret_key:
            return self.session_class()
        return super().open_session(app, request)

    def get_signing_serializer(self, app):
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if keys != self._serializer_keys:
            self._serializer, self._serializer_keys = super().get_signing_serializer(app), keys
        return self._serializer


def _hsts_seconds():
    config = current_app.config
    https = config["PUBLIC_BASE_URL"].startswith("https://") or config.get("PREFERRED_URL_SCHEME") == "https"
    return config["HSTS_SECONDS"] if https else 0


# Query parameters that carry a secret: WeChat's appsecret and login code, the access token.
SECRET_QUERY = re.compile(r"(?<![A-Za-z0-9_])(secret|appsecret|access_token|js_code|session_key|password|token)=[^&\s\"']+",
                          re.IGNORECASE)
# Loggers that print request URLs: urllib3 logs every request line at DEBUG.
URL_LOGGERS = ("urllib3.connectionpool", "urllib3", "requests")


class RedactSecrets(logging.Filter):
    """Replaces secret query values in a log record's message with ***."""

    def filter(self, record):
        message = record.getMessage()
        redacted = SECRET_QUERY.sub(lambda match: match.group(1) + "=***", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def install_log_redaction():
    """Put RedactSecrets on the loggers that print URLs (once per logger)."""
    for name in URL_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RedactSecrets) for existing in logger.filters):
            logger.addFilter(RedactSecrets())


def init_app(app):
    """Trust TRUSTED_PROXIES hops of X-Forwarded-For/-Proto, add the headers, offer csp_nonce()."""
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        # The rate limits key on request.remote_addr: with this it is the real client's address.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    app.after_request(add_security_headers)
    app.session_interface = SessionInterface()
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    install_log_redaction()
