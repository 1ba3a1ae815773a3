"""The mini-program speaks the server's contract: every endpoint it calls (miniprogram/api.js
ENDPOINTS) exists in /api/v1/openapi.json with that method, and every body field it lists
is in that operation's request schema; it calls the server only through api.js; its rating
levels and tags are the server's; the pages the server's subscribe messages open exist in
its app.json."""
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from server import messages
from server.notifications import CASE_PAGE
from server.shifts.notify import SHIFT_PAGE

MINIPROGRAM = Path(__file__).resolve().parent.parent / "miniprogram"


def node_json(expression):
    """Evaluate a JavaScript expression with node inside miniprogram/ and parse its JSON."""
    node = shutil.which("node") or shutil.which("nodejs")
    assert node, "node is needed to read miniprogram/api.js (scripts/test installs it with npm)"
    script = f"process.stdout.write(JSON.stringify({expression}))"
    done = subprocess.run([node, "-e", script], cwd=MINIPROGRAM, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


ENDPOINTS = node_json("require('./api.js').ENDPOINTS")


def path_shape(path):
    """A path with its parameters made anonymous: parameters match by position, not by name."""
    return re.sub(r"\{[^}/]+\}", "{}", path)


def operations_of(spec):
    """{(METHOD, path shape): operation} of the OpenAPI document ``spec``."""
    return {(method.upper(), path_shape(path)): operation
            for path, item in spec["paths"].items() for method, operation in item.items()}


def missing_from(spec, endpoints):
    """The (name, METHOD, path) of ``endpoints`` that the OpenAPI document ``spec`` lacks."""
    operations = operations_of(spec)
    return [(name, method, path) for name, (method, path, *_) in endpoints.items()
            if (method.upper(), path_shape(path)) not in operations]


def unknown_body_fields(spec, method, path, names):
    """The ``names`` that the JSON request schema of METHOD path does not define."""
    operation = operations_of(spec)[(method.upper(), path_shape(path))]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return [name for name in names if name not in schema.get("properties", {})]


@pytest.fixture
def spec(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_api_js_lists_the_endpoints_the_issue_names():
    called = {(method, path_shape(path)) for method, path, *_ in ENDPOINTS.values()}
    for method, path in [
        ("POST", "/api/v1/auth/wechat"), ("POST", "/api/v1/auth/admin"), ("GET", "/api/v1/me"),
        ("POST", "/api/v1/me/bind"), ("GET", "/api/v1/scan/{}"), ("POST", "/api/v1/ratings"),
        ("GET", "/api/v1/me/ratings"), ("POST", "/api/v1/ratings/{}/follow-up"),
        ("POST", "/api/v1/shifts/check-in"), ("POST", "/api/v1/shifts/{}/check-out"),
        ("POST", "/api/v1/shifts/claims"), ("GET", "/api/v1/me/shifts"), ("GET", "/api/v1/me/hours"),
        ("GET", "/api/v1/members/{}/record.pdf"), ("GET", "/api/v1/admin/shifts"),
        ("POST", "/api/v1/admin/shifts/{}/review"), ("GET", "/api/v1/admin/cases"),
    ]:
        assert (method, path) in called, (method, path)


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_every_endpoint_the_miniprogram_calls_is_in_the_openapi_document(spec, name):
    method, path, *body = ENDPOINTS[name]
    assert not missing_from(spec, {name: (method, path)}), (
        f"miniprogram/api.js {name}: {method} {path} is not in /api/v1/openapi.json")
    if body:
        assert unknown_body_fields(spec, method, path, body[0]) == [], f"miniprogram/api.js {name}: body fields"


def test_a_misspelled_path_or_a_wrong_method_is_caught(spec):
    """The check above can fail: a typo in a path, a wrong method, an extra segment."""
    wrong = {
        "typo": ("POST", "/api/v1/rating"),
        "method": ("GET", "/api/v1/ratings"),
        "segment": ("POST", "/api/v1/shifts/{shift_id}/checkout"),
        "extra": ("GET", "/api/v1/scan/{token}/x"),
    }
    assert [name for name, _, _ in missing_from(spec, wrong)] == list(wrong)
    assert not missing_from(spec, {"renamed_param": ("GET", "/api/v1/scan/{code}")})
    assert unknown_body_fields(spec, "POST", "/api/v1/ratings", ["token", "score", "scroe"]) == ["scroe"]


SERVER_PATH_LITERAL = re.compile(r"""['"`]/api/v1""")


def test_only_api_js_names_server_paths():
    """Pages call the server through api.js, so the list above is every call they make."""
    offenders = []
    for path in MINIPROGRAM.rglob("*"):
        relative = path.relative_to(MINIPROGRAM)
        if relative.parts[0] in ("node_modules", "tests") or path.suffix not in (".js", ".wxml", ".wxs"):
            continue
        if relative.as_posix() != "api.js" and SERVER_PATH_LITERAL.search(path.read_text(encoding="utf-8")):
            offenders.append(relative.as_posix())
    assert offenders == []


def test_rating_levels_and_tags_are_the_servers():
    rate = node_json("require('./strings.js').rate")
    assert {level["score"]: level["label"] for level in rate["levels"]} == messages.SCORE_LABELS
    assert [level["score"] for level in rate["levels"]] == [5, 4, 3, 2, 1]
    assert rate["positiveTags"] == messages.POSITIVE_TAGS
    assert rate["negativeTags"] == messages.NEGATIVE_TAGS


@pytest.mark.parametrize("page", [SHIFT_PAGE, CASE_PAGE])
def test_pages_the_servers_messages_open_exist(page):
    app_json = json.loads((MINIPROGRAM / "app.json").read_text(encoding="utf-8"))
    assert page.split("?")[0] in app_json["pages"]
