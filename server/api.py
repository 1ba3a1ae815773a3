"""The project's flask-smorest Api and Blueprint: errors in our shape, auth declared once."""
import functools
from copy import deepcopy

import flask_smorest
from flask_smorest.utils import resolve_schema_instance
from marshmallow import fields
from webargs.flaskparser import FlaskParser, is_json_request

from server import messages
from server.schemas import ErrorSchema


class Api(flask_smorest.Api):
    """flask-smorest's Api, answering every HTTP error in the contract's shape."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):
        """Delegate to the app-wide error shape."""
        from server.errors import handle_http_exception

        return handle_http_exception(error)


ERROR_RESPONSE = {"$ref": "#/components/schemas/Error"}


class Parser(FlaskParser):
    """webargs' parser, refusing a body a JSON view cannot read (API.md: 400 body is not JSON).

    webargs reads an empty body sent as JSON, or a body sent as text or a form, as "no
    arguments": a PATCH then answered 200 having silently changed nothing. A request with
    neither body nor JSON content type still reads as no arguments (the schema decides).
    """

    def load_json(self, req, schema):
        if bool(req.get_data(cache=True)) != is_json_request(req):
            from server.errors import ApiError

            raise ApiError(400, "invalid_json", messages.INVALID_JSON)
        return json_booleans_only(schema, super().load_json(req, schema))


# A value marshmallow's Boolean refuses, whatever text forms it reads as booleans.
NOT_A_BOOLEAN = object()


def json_booleans_only(schema, data):
    """A JSON body's boolean fields take only true and false (the document says boolean).

    marshmallow's Boolean also reads 0, 1, 0.0, "yes", "on"…, which query strings and the
    console's forms need; in JSON such a value is a mistake, refused with the field's 422.
    """
    if not isinstance(data, dict):
        return data
    booleans = {field.data_key or name for name, field in schema.fields.items()
                if isinstance(field, fields.Boolean) and not field.dump_only}
    return {key: NOT_A_BOOLEAN if key in booleans and value is not None and not isinstance(value, bool) else value
            for key, value in data.items()}


class Blueprint(flask_smorest.Blueprint):
    """A Blueprint whose views declare who may call them with ``@bp.login_required(...)``.

    The decorator checks the bearer token and the role, and documents the 401/403 answers in
    the OpenAPI document, so no view repeats either.
    """

    ARGUMENTS_PARSER = Parser()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(self._document_common_errors)

    @staticmethod
    def _document_common_errors(doc, doc_info, *, method, **kwargs):
        """Document what any view may answer: 503 while the database is unreachable
        (server/errors.py) and, for a POST, PUT or PATCH, 400 for a body that is not JSON (API.md)."""
        statuses = (400, 503) if method in ("post", "put", "patch") else (503,)
        responses = doc.setdefault("responses", {})
        for status in statuses:
            responses.setdefault(str(status), {
                "description": messages.HTTP_ERRORS[status][1],
                "content": {"application/json": {"schema": dict(ERROR_RESPONSE)}},
            })
        return doc

    def arguments(self, schema, **kwargs):
        """flask-smorest's ``arguments``, with the schema instantiated once, here: given a class,
        webargs would build a new instance (every field bound anew) on every request."""
        return super().arguments(resolve_schema_instance(schema), **kwargs)

    def login_required(self, *roles):
        """Require a valid token whose identity has one of ``roles`` (any identity if none)."""
        from server.auth.identity import require_identity

        def decorator(func):
            @functools.wraps(func)
            def wrapper(*args, **kwargs):
                require_identity(roles)
                return func(*args, **kwargs)

            self._add_error_docs(wrapper, {s: messages.HTTP_ERRORS[s][1] for s in (401, 403)})
            wrapper._apidoc["manual_doc"]["security"] = [{"bearerAuth": []}]
            return wrapper

        return decorator

    def errors(self, *statuses):
        """Document the error answers a view may give, all in the contract's error shape."""

        def decorator(func):
            self._add_error_docs(func, {s: messages.HTTP_ERRORS[s][1] for s in statuses})
            return func

        return decorator

    def file_response(self, content_type, description):
        """``@bp.response`` for a file download, its content type documented with a binary body."""
        binary = {"description": description,
                  "content": {content_type: {"schema": {"type": "string", "format": "binary"}}}}

        def decorator(func):
            return self.doc(responses={"200": binary})(
                self.response(200, content_type=content_type, description=description)(func))

        return decorator

    @staticmethod
    def _add_error_docs(func, described):
        # Copy first: functools.wraps shares the inner function's _apidoc dict.
        func._apidoc = apidoc = deepcopy(getattr(func, "_apidoc", {}))
        responses = apidoc.setdefault("manual_doc", {}).setdefault("responses", {})
        for status, description in described.items():
            responses[str(status)] = {
                "description": description,
                "content": {"application/json": {"schema": ERROR_RESPONSE}},
            }


def locks_at_first_write(view):
    """Mark a writing view whose rules live in unique keys, not in what it read first.

    On SQLite its transaction starts deferred and takes the write lock just before its first
    write (server/__init__.py): what it read before was the committed state as each read ran,
    as under PostgreSQL's READ COMMITTED, and the write lock is held for its writes and COMMIT
    only. A view that checks something and writes on the strength of it (no open shift → insert
    one) takes the lock itself before that check (``take_sqlite_write_lock``, as the check-in's
    lock_member does), so no other writer can change it in between.
    """
    view.locks_at_first_write = True
    return view


def writes_on_read(view):
    """Mark a GET view that writes (it issues a record, closes stale shifts…).

    On SQLite its transaction then starts with BEGIN IMMEDIATE like any POST (see
    server/__init__.py), instead of failing when another writer commits first.
    """
    view.writes_database = True
    return view

