"""One error shape for the whole app: {"error": {"code", "message", "fields"}}.

Every exception that leaves a view comes through here, whether raised by a service
(ApiError), by webargs validation, by Werkzeug routing or by the database.
"""
import logging

from flask import jsonify, request
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, PendingRollbackError

from server import messages
from server.extensions import db

log = logging.getLogger(__name__)

# Path prefixes answered with an HTML page instead of JSON (the admin console registers
# "/admin/"): prefix -> function(status, message) returning a response.
HTML_ERROR_PAGES = {}


def _html_page(status, message):
    """The HTML error page for this request's path, or None for the JSON shape."""
    for prefix, render in HTML_ERROR_PAGES.items():
        if request.path.startswith(prefix):
            return render(status, message)
    return None


class ApiError(Exception):
    """An error a user can act on: status, stable code, Chinese message, field problems."""

    def __init__(self, status, code, message, fields=None, extra=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.extra = extra or {}


def field_error(field, message, code="validation_error", status=422):
    """An ApiError about one request field."""
    return ApiError(status, code, messages.HTTP_ERRORS[422][1], fields={field: [message]})


def error_response(status, code, message, fields=None, extra=None, headers=None):
    """Build the contract's error JSON response."""
    body = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    body.update(extra or {})
    response = jsonify({"error": body})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _webargs_fields(data):
    """Flatten webargs' {location: {field: [msgs]}} into {field: [msgs]}."""
    fields = {}
    for location_messages in (data.get("messages") or {}).values():
        if isinstance(location_messages, dict):
            fields.update(location_messages)
        else:
            fields["_body"] = location_messages
    return fields


def handle_http_exception(error):
    """Turn any Werkzeug HTTPException (abort, routing, webargs) into the error shape."""
    status = error.code or 500
    code, message = messages.HTTP_ERRORS.get(status, ("error", messages.REQUEST_FAILED))
    data = getattr(error, "data", None) or {}
    fields = _webargs_fields(data) if data.get("messages") else None
    if status == 400 and fields is not None:
        # webargs' only 400 is a body that does not parse as JSON.
        code, message, fields = "invalid_json", messages.INVALID_JSON, None
    if status == 429:
        code = "rate_limited"
    headers = dict(data.get("headers") or {})
    if status == 405 and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    if status == 429:
        headers.update(dict(error.get_headers() or []))
        headers.pop("Content-Type", None)
    page = _html_page(status, message)
    if page is not None:
        return page
    return error_response(status, code, message, fields, headers=headers)


def _rollback():
    """Roll the session back; True when that failed because the database went away (then the
    answer is a 503, whatever the error being handled was)."""
    try:
        db.session.rollback()
    except DBAPIError as error:
        if not is_disconnect(error):
            raise
        log.error("database unavailable while rolling back on %s %s: %s", request.method, request.path,
                  _first_line(error.orig))
        return True
    return False


def _unavailable():
    return error_response(503, "database_unavailable", messages.DATABASE_UNAVAILABLE)


def handle_api_error(error):
    """Answer an ApiError raised by a service or view."""
    if _rollback():
        return _unavailable()
    return error_response(error.status, error.code, error.message, error.fields, error.extra)


def _first_line(exception):
    """An exception's first line, without the SQL, parameters or DETAIL the driver adds below."""
    text = str(exception).strip()
    return text.splitlines()[0] if text else type(exception).__name__


def handle_integrity_error(error):
    """A unique or foreign-key constraint refused the write: 409, nothing half-written."""
    if _rollback():
        return _unavailable()
    # The first line only: PostgreSQL's DETAIL line quotes the values (an openid, a phone).
    log.info("integrity error on %s %s: %s", request.method, request.path, _first_line(error.orig))
    return error_response(409, "conflict", messages.INTEGRITY_CONFLICT)


def handle_database_unavailable(error):
    """The database cannot be reached: 503, so clients retry instead of giving up."""
    _rollback()
    log.error("database unavailable on %s %s: %s", request.method, request.path, _first_line(error.orig))
    return _unavailable()


def handle_unexpected(error):
    """A bug: log it in full and answer 500 in the contract's shape."""
    if _rollback():
        return _unavailable()
    log.exception("unhandled error on %s %s", request.method, request.path)
    code, message = messages.HTTP_ERRORS[500]
    return _html_page(500, message) or error_response(500, code, message)


def is_disconnect(error):
    """True when a DBAPI error means the database went away rather than a bad statement."""
    return isinstance(error, OperationalError) or bool(getattr(error, "connection_invalidated", False))


def handle_dbapi_error(error):
    """Route a DBAPI error: lost connection → 503, anything else is a bug → 500."""
    if is_disconnect(error):
        return handle_database_unavailable(error)
    return handle_unexpected(error)


def handle_pending_rollback(error):
    """A statement after an earlier failed one in the same request (e.g. Flask-Limiter evaluates
    a key function again after the database dropped the first query): 503 when the database is
    indeed gone, otherwise it is a bug (500)."""
    if _rollback():
        return _unavailable()
    try:
        db.session.execute(text("SELECT 1"))
    except DBAPIError as probe:
        if is_disconnect(probe):
            return handle_database_unavailable(probe)
        raise
    return handle_unexpected(error)


def remove_session(exception=None):
    """End the request's session even when the database went away under it.

    Closing rolls back over the connection; if PostgreSQL has just shut down, that raises
    after the response was built, and the client would get a bare 500 from the WSGI server.
    The connection is then invalidated instead (the pool replaces it) and the session dropped.
    """
    try:
        db.session.remove()
    except DBAPIError as error:
        if not is_disconnect(error):
            raise
        log.error("database unavailable while closing the session: %s", _first_line(error.orig))
        try:
            db.session.registry().invalidate()
        finally:
            db.session.registry.clear()


def register_error_handlers(app):
    """Install the handlers on the app (HTTPException is routed by server.api.Api)."""
    # Runs before Flask-SQLAlchemy's own teardown (registered earlier; teardowns run in reverse).
    app.teardown_appcontext(remove_session)
    app.register_error_handler(ApiError, handle_api_error)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(DBAPIError, handle_dbapi_error)
    app.register_error_handler(PendingRollbackError, handle_pending_rollback)
    app.register_error_handler(Exception, handle_unexpected)
