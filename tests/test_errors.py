"""One error shape everywhere (API.md Conventions): unknown routes, wrong methods, bodies too
large and bugs all answer {"error": {"code", "message"}} in Chinese; and the OpenAPI document
lists every API route with its error answers."""
import re

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from conftest import assert_error
from server import create_app

API_PREFIX = "/api/v1/"
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def api_rules():
    """(path with {params}, methods) of every route the app registers under /api/v1/."""
    app = create_app("test")
    rules = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(API_PREFIX) and rule.endpoint != "api-docs.openapi_json":
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            rules.setdefault(path, set()).update(rule.methods - IGNORED_METHODS)
    return rules


API_RULES = api_rules()


def concrete(path):
    return re.sub(r"\{[^}]+\}", "1", path)


# --- unknown routes and wrong methods ---

@pytest.mark.parametrize("method,path", [
    ("GET", "/api/v1/nope"), ("GET", "/api/v1/admin/nope"), ("POST", "/api/v1/nope"), ("GET", "/api/v2/units"),
    ("GET", "/api/v1/admin/units/1/nope"), ("GET", "/api/v1/admin/units/abc"), ("DELETE", "/api/v1/nope"),
    ("GET", "/nope"), ("GET", "/api/v1/admin/units/" + "9" * 30),
])
def test_unknown_route_is_404_in_error_shape(client, world, method, path):
    response = client.open(path, method=method, headers=world.bureau_headers, json={} if method == "POST" else None)
    error = assert_error(response, 404)
    assert error["code"] == "not_found"
    assert response.mimetype == "application/json"


@pytest.mark.parametrize("path", sorted(API_RULES))
def test_wrong_method_is_405_with_allow_header(client, world, path):
    allowed = API_RULES[path]
    wrong = [m for m in ("DELETE", "PUT", "PATCH", "POST", "GET") if m not in allowed]
    assert wrong
    for method in wrong:
        response = client.open(concrete(path), method=method, headers=world.bureau_headers)
        error = assert_error(response, 405)
        assert error["code"] == "method_not_allowed"
        allow = {m.strip() for m in response.headers.get("Allow", "").split(",")}
        assert allowed <= allow, (method, path, response.headers.get("Allow"))
        assert method not in allow


# --- the OpenAPI document ---

@pytest.fixture
def spec(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.is_json
    return response.get_json()


def operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield method.upper(), path, operation, item


def test_openapi_is_version_3_and_lists_every_api_route(spec):
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] and spec["info"]["version"]
    documented = {}
    for method, path, _, _ in operations(spec):
        documented.setdefault(path, set()).add(method)
    assert documented == API_RULES
    for name in ("units", "members", "windows", "posts"):
        assert {"GET", "POST"} <= documented[f"/api/v1/admin/{name}"]
        assert {"GET", "PATCH"} <= documented[f"/api/v1/admin/{name}/{{object_id}}"]


def resolve(spec, node):
    while "$ref" in node:
        kind, name = node["$ref"].split("/")[-2:]
        node = spec["components"][kind][name]
    return node


def test_every_operation_documents_its_errors_with_the_error_schema(spec):
    error_ref = "#/components/schemas/Error"
    error_schema = spec["components"]["schemas"]["Error"]
    assert "error" in error_schema["properties"]
    problems = []
    for method, path, operation, item in operations(spec):
        where = f"{method} {path}"
        responses = operation["responses"]
        errors = {status: resolve(spec, answer) for status, answer in responses.items()
                  if status == "default" or int(status) >= 400}
        if not errors:
            problems.append(f"{where}: no error responses")
        for status, answer in errors.items():
            schema = answer.get("content", {}).get("application/json", {}).get("schema")
            if schema != {"$ref": error_ref}:
                problems.append(f"{where}: {status} is not the Error schema ({schema})")
        expected = set()
        if operation.get("security"):
            expected |= {"401", "403"}
        parameters = operation.get("parameters", []) + item.get("parameters", [])
        if any(p["in"] == "path" for p in parameters):
            expected.add("404")
        if "requestBody" in operation or any(p["in"] == "query" for p in parameters):
            expected.add("422")
        missing = expected - set(errors)
        if missing:
            problems.append(f"{where}: does not document {sorted(missing)}")
    assert not problems, "\n".join(problems)


def test_admin_operations_require_a_token_in_the_document(spec):
    for method, path, operation, _ in operations(spec):
        if path.startswith("/api/v1/admin/"):
            assert operation.get("security") == [{"bearerAuth": []}], f"{method} {path}"
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


# --- too large ---

@pytest.mark.parametrize("path,who", [("/api/v1/admin/units", "bureau_headers"), ("/api/v1/auth/admin", None),
                                      ("/api/v1/admin/members/1", "bureau_headers")])
def test_body_over_one_mebibyte_is_413(app, client, world, path, who):
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    headers = {**(getattr(world, who) if who else {}), "Content-Type": "application/json"}
    body = '{"name": "' + "x" * (1024 * 1024) + '"}'
    method = "PATCH" if path.endswith("/1") else "POST"
    error = assert_error(client.open(path, method=method, data=body, headers=headers), 413)
    assert error["code"] == "too_large"
    # Just under the limit is read (and refused for what it says, not for its size).
    body = '{"name": "' + "x" * (1024 * 1024 - 20) + '"}'
    assert client.open(path, method=method, data=body, headers=headers).status_code == 422


# --- bugs: 500 in the error shape, nothing leaked ---

SECRET = "s3cr3t-detail-/srv/red_station/server/views.py"


@pytest.fixture
def buggy_app():
    """A fresh app with test-only routes that fail the way bugs do."""
    app = create_app("test")

    def boom():
        raise RuntimeError(SECRET)

    def key_error():
        return {"x": 1}[SECRET]

    def db_bug():
        raise ProgrammingError(f"SELECT {SECRET}", {}, Exception(SECRET))

    app.add_url_rule("/api/v1/_test/boom", view_func=boom, methods=["GET", "POST"])
    app.add_url_rule("/api/v1/_test/key-error", view_func=key_error)
    app.add_url_rule("/api/v1/_test/db-bug", view_func=db_bug)
    app.add_url_rule("/_test/boom", view_func=boom)
    with app.app_context():
        yield app


@pytest.mark.parametrize("method,path", [("GET", "/api/v1/_test/boom"), ("POST", "/api/v1/_test/boom"),
                                         ("GET", "/api/v1/_test/key-error"), ("GET", "/api/v1/_test/db-bug"),
                                         ("GET", "/_test/boom")])
def test_unexpected_exception_is_500_in_error_shape(buggy_app, method, path, caplog):
    response = buggy_app.test_client().open(path, method=method, json={} if method == "POST" else None)
    error = assert_error(response, 500)
    assert error["code"] == "server_error"
    assert set(error) == {"code", "message"}
    text = response.get_data(as_text=True) + str(response.headers)
    for leak in (SECRET, "Traceback", "RuntimeError", "KeyError", "ProgrammingError", "File \"", ".py"):
        assert leak not in text
    # The whole story goes to the log instead.
    assert SECRET in caplog.text and "Traceback" in caplog.text


def test_a_database_lost_while_rolling_back_an_error_answers_503(client, world, monkeypatch):
    """The database can go away between a refusal and its rollback (seen during a PostgreSQL
    restart): the answer is the 503 a client retries, not a 500."""
    from sqlalchemy.exc import OperationalError

    from server.extensions import db

    def lost():
        raise OperationalError("ROLLBACK", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(db.session, "rollback", lost)
    response = client.get("/api/v1/admin/units/999999", headers=world.bureau_headers)  # an ApiError (404)
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "database_unavailable"


@pytest.mark.parametrize("database_gone, status", [(True, 503), (False, 500)])
def test_a_statement_after_a_failed_one_is_503_only_when_the_database_is_gone(app, monkeypatch, database_gone, status):
    """Flask-Limiter runs a key function again after the database dropped its first query; the
    session then refuses with PendingRollbackError, which means 503 if the database is gone."""
    from sqlalchemy.exc import OperationalError, PendingRollbackError

    from server.extensions import db

    def pending():
        raise PendingRollbackError("Can't reconnect until invalid transaction is rolled back.")

    app.add_url_rule("/api/v1/test-pending", "test_pending", pending)
    if database_gone:
        def refused(*args, **kwargs):
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))

        monkeypatch.setattr(db.session, "execute", refused)
    response = app.test_client().get("/api/v1/test-pending")
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == ("database_unavailable" if database_gone else "server_error")


def test_a_session_whose_database_went_away_is_dropped_without_an_error(app, monkeypatch):
    """Closing the session rolls back over the connection; with the database just gone that
    raised after the response was built (a bare 500 from gunicorn). Now it is invalidated."""
    from sqlalchemy.exc import OperationalError

    from server.errors import remove_session
    from server.extensions import db

    db.session.execute(text("SELECT 1"))  # the session holds a connection
    closed = []

    def lost():
        closed.append(True)
        raise OperationalError("ROLLBACK", {}, Exception("terminating connection due to administrator command"))

    monkeypatch.setattr(db.session.registry(), "close", lost)
    remove_session()
    assert closed and not db.session.registry.has()
