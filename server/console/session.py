"""Console sign-in: a session cookie instead of a bearer token, with the API's login rules.

The password check, lock-out and revocation are the API's (server.auth.services.admin_login,
Admin.token_version): signing in here counts failures towards the same lock-out, and a
password change ends console sessions exactly as it revokes tokens.
"""
import datetime as dt
import functools

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from server import messages
from server.auth import services as auth_services
from server.auth.identity import Identity, ROLE_GROUPS
from server.console import bp
from server.console.text import T
from server.errors import ApiError
from server.extensions import csrf, db, limiter
from server.models import Admin, Unit

SESSION_KEYS = ("admin_id", "admin_v", "signed_in_at")


def _session_admin():
    """The Admin this browser signed in as, while the session and the password are still valid."""
    admin_id, version, signed_in_at = (session.get(key) for key in SESSION_KEYS)
    if not isinstance(admin_id, int) or not isinstance(signed_in_at, (int, float)):
        return None
    lifetime = current_app.config["ADMIN_TOKEN_TTL_SECONDS"]
    if dt.datetime.now(dt.timezone.utc).timestamp() - signed_in_at > lifetime:
        return None
    admin = db.session.get(Admin, admin_id)
    if admin is None or admin.token_version != version:
        return None
    return admin


@bp.before_request
def load_console_identity():
    """Every console request: CSRF on forms, then the signed-in admin as ``g.identity``."""
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()
    admin = _session_admin()
    g.identity = Identity(admin=admin) if admin is not None else None


def page_login_required(*roles):
    """A console page for signed-in admins (of ``roles``: "admin", "bureau_admin", "unit_admin")."""
    allowed = set()
    for role in roles or ("admin",):
        allowed |= ROLE_GROUPS.get(role, {role})

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            identity = g.get("identity")
            if identity is None:
                if session.get("admin_id"):
                    session.clear()
                    flash(T["login"]["session_expired"], "warning")
                return redirect(url_for("console.login", next=request.full_path if request.method == "GET" else None))
            if identity.role not in allowed:
                message = messages.BUREAU_ONLY if allowed == {"bureau_admin"} else messages.ADMIN_ONLY
                raise ApiError(403, "forbidden", message)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def current_admin():
    return g.identity.admin


def safe_next(target, fallback="console.dashboard"):
    """``target`` when it is a path inside the console (so no page redirects off-site), else ``fallback``."""
    if target and target.startswith("/admin/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for(fallback)


def _login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """The sign-in form; failures count towards the account's lock-out like API logins."""
    if request.method == "GET" and g.identity is not None:
        return redirect(safe_next(request.args.get("next")))
    error = None
    username = ""
    if request.method == "POST":
        username = (request.form.get("username") or "").strip()[:64]
        password = request.form.get("password") or ""
        if not username or not password:
            error = messages.BAD_CREDENTIALS
        else:
            try:
                result = auth_services.admin_login(username, password[:256])
            except ApiError as failure:
                error = failure.message
            else:
                admin = result["admin"]
                session.clear()
                session.permanent = True
                session.update(admin_id=admin.id, admin_v=admin.token_version,
                               signed_in_at=dt.datetime.now(dt.timezone.utc).timestamp())
                return redirect(safe_next(request.args.get("next")))
    status = 200 if error is None else 401
    return render_template("console/login.html", error=error, username=username), status


@bp.route("/logout", methods=["POST"])
def logout():
    session.clear()
    flash(T["login"]["logged_out"], "info")
    return redirect(url_for("console.login"))


@bp.route("/")
@page_login_required()
def home():
    return redirect(url_for("console.dashboard"))


def render_error(status, message):
    """The console's error page (a 401 sends the browser to sign in instead)."""
    if status == 401:
        return redirect(url_for("console.login"))
    return render_template("console/error.html", status=status, message=message), status


@bp.errorhandler(ApiError)
def _api_error(error):
    db.session.rollback()
    return render_error(error.status, error.message)


@bp.errorhandler(CSRFError)
def _csrf_error(error):
    db.session.rollback()
    return render_error(400, T["common"]["csrf_failed"])


@bp.errorhandler(HTTPException)
def _http_error(error):
    db.session.rollback()
    status = error.code or 500
    return render_error(status, messages.HTTP_ERRORS.get(status, ("", messages.REQUEST_FAILED))[1])


def html_error_page(status, message):
    """For errors outside the blueprint's views (unknown /admin/ URLs): the same page."""
    return render_error(status, message)


def init_session(app):
    """Session cookie and CSRF settings, the template context, and /admin/ routing errors as pages."""
    from server import errors

    app.config.setdefault("PERMANENT_SESSION_LIFETIME", dt.timedelta(seconds=app.config["ADMIN_TOKEN_TTL_SECONDS"]))
    errors.HTML_ERROR_PAGES["/admin"] = html_error_page

    @app.context_processor
    def _console_context():
        if request.blueprint != "console" and not request.path.startswith("/admin"):
            return {}
        identity = g.get("identity")
        admin = identity.admin if identity is not None else None
        unit = db.session.get(Unit, admin.unit_id) if admin is not None and admin.unit_id else None
        endpoints = {name for name in current_app.view_functions if name.startswith("console.")}
        return {"t": T, "admin": admin, "admin_unit": unit, "console_endpoints": endpoints}
