"""The admin console: server-rendered pages under /admin/ for desktop browsers on the intranet.

Pages share the API's service functions and its unit wall: a console request sets the same
``g.identity`` a bearer token would, so every rule (walls, review, cases, stats) is written
once. Forms are CSRF-protected (Flask-WTF's CSRFProtect, checked for this blueprint only:
the API authenticates with bearer tokens, which a browser never sends on its own).
"""
from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/admin")

# The page modules register their views on ``bp``.
from server.console import session  # noqa: E402,F401  (login, logout, the request guard)
from server.console import pages  # noqa: E402,F401  (the page modules, listed in one place)


def init_app(app):
    """Register the console and its error pages."""
    from server.console.session import init_session

    init_session(app)
    app.register_blueprint(bp)
