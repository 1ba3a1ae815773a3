"""Bad input to every endpoint that writes: a generated matrix of wrong types, missing and
unknown fields, oversized and control-character strings, huge and non-finite numbers,
non-JSON bodies and impossible ids.

Each must answer 4xx in the contract's error shape with a Chinese message (400 body is not
JSON; 404 no such object; 422 naming the field), never 500, and write nothing at all: every
row of every table is the same before and after.

The matrix is generated from the tables below. To keep the suite quick, one test covers one
endpoint's field (or one kind of bad body) and runs every bad value of it against the same
database, reporting every value that was not refused properly, not just the first.
"""
import json
from dataclasses import dataclass, field

import pytest

from conftest import CHINESE, assert_error, db_snapshot
from server.extensions import limiter

HUGE = 10**30

# Field kinds, each with the bad values it must refuse: (label, value).
COMMON = [("null", None), ("object", {"a": 1}), ("list", ["a"]), ("huge_int", HUGE)]
STRING_BAD = [
    ("int", 123), ("float", 1.5), ("bool", True), ("empty_list", []), ("empty_object", {}),
    ("10k", "x" * 10_000), ("10k_cjk", "字" * 10_000), ("nul", "a\x00b"), ("bell", "a\x07b"),
    ("escape", "\x1b[31m红\x1b[0m"), ("del", "a\x7fb"), ("only_nul", "\x00"),
]
REQUIRED_STRING_BAD = [("empty", ""), ("blank", "   ")]
BOOL_BAD = [("string", "maybe"), ("empty_string", ""), ("two", 2), ("float", 1.5), ("empty_list", []),
            ("empty_object", {}), ("one", 1), ("zero", 0), ("zero_float", 0.0), ("true_string", "true"),
            ("yes", "yes")]
INT_BAD = [("numeric_string", "200"), ("string", "abc"), ("float", 200.5), ("integral_float", 200.0),
           ("bool", True), ("negative", -1), ("zero", 0), ("neg_huge", -HUGE), ("big", 2**63)]
ID_BAD = [("numeric_string", "1"), ("float", 1.0), ("bool", True), ("zero", 0), ("negative", -1),
          ("over_int32", 2**31), ("neg_huge", -HUGE)]
FLOAT_BAD = [("string", "abc"), ("empty_string", ""), ("bool", True), ("too_big_for_float", 10**400),
             ("out_of_range", 1e300), ("neg_out_of_range", -1e300)]
ENUM_BAD = [("unknown", "castle"), ("upper", "WINDOW_HALL"), ("int", 1), ("empty", "")]
LIST_STR_BAD = [("object", {"a": "b"}), ("string", "abc"), ("int", 5), ("null_item", [None]), ("int_item", [1]),
                ("list_item", [["a"]]), ("object_item", [{}]), ("10k_item", ["x" * 10_000]),
                ("nul_item", ["a\x00b"]), ("blank_item", ["  "]), ("too_many", ["事项"] * 100)]
LIST_OBJ_BAD = [("object", {"item": "a", "limit": "b"}), ("string", "abc"), ("int_item", [1]),
                ("string_item", ["x"]), ("empty_item", [{}]), ("missing_limit", [{"item": "a"}]),
                ("unknown_key", [{"item": "a", "limit": "b", "extra": 1}]),
                ("10k_item", [{"item": "x" * 10_000, "limit": "b"}]), ("nul_item", [{"item": "a\x00", "limit": "b"}]),
                ("int_value", [{"item": 1, "limit": "b"}]), ("too_many", [{"item": "a", "limit": "b"}] * 100)]
PHONE_BAD = [("short", "12345"), ("letters", "1381234567x"), ("int", 13812345678), ("newline", "13812345678\n"),
             ("fullwidth", "１３８１２３４５６７８"), ("arabic_digits", "1" + "٣" * 10), ("10k", "1" * 10_000),
             ("nul", "138\x0012345678"), ("bool", False)]
URL_BAD = [("javascript", "javascript:alert(1)"), ("ftp", "ftp://x.cn/a"), ("space", "http://a b"),
           ("10k", "https://x.cn/" + "a" * 10_000), ("nul", "https://x.cn/\x00"), ("int", 5)]
# Any text may be a password: one with control characters is merely wrong (401).
PASSWORD_BAD = [("int", 123), ("bool", True), ("empty", ""), ("10k", "x" * 10_000), ("empty_list", []),
                ("nul", "a\x00b"), ("escape", "\x1b[0m")]
# Raw JSON tokens Python's json accepts but JSON does not: 400 (not JSON) or 422 (naming the field).
NON_FINITE = ["NaN", "Infinity", "-Infinity"]

KINDS = {
    "str": STRING_BAD, "bool": BOOL_BAD, "int": INT_BAD, "id": ID_BAD, "float": FLOAT_BAD, "enum": ENUM_BAD,
    "list_str": LIST_STR_BAD, "list_obj": LIST_OBJ_BAD, "phone": PHONE_BAD, "url": URL_BAD,
    "password": PASSWORD_BAD,
}


@dataclass
class Endpoint:
    method: str
    path: str                      # "{a.unit}" etc. name one of unit A's objects
    who: str | None                # world attribute holding the caller's headers
    base: dict                     # a body that passes validation
    fields: dict                   # field → kind
    required: tuple = ()
    dump_only: tuple = ("id",)
    # Extra statuses a field's bad value may answer (a password is just wrong: 401).
    allowed: dict = field(default_factory=dict)


UNIT_FIELDS = {"name": "str", "type": "enum", "is_red_station": "bool", "address": "str",
               "auto_approve_shifts": "bool"}
MEMBER_FIELDS = {"name": "str", "unit_id": "id", "post_title": "str", "is_party_member": "bool",
                 "commitment": "str", "phone": "phone", "photo_url": "url", "badge_no": "str"}
WINDOW_FIELDS = {"name": "str", "unit_id": "id", "duties": "list_str", "commitments": "list_str",
                 "time_limits": "list_obj"}
POST_FIELDS = {"name": "str", "unit_id": "id", "service": "str", "lat": "float", "lng": "float",
               "radius_m": "int", "default_shift_minutes": "int", "max_open_minutes": "int"}
MEMBER_OUT = ("id", "unit", "bound", "bind_code", "bind_code_expires_at")

ENDPOINTS = {
    "units.create": Endpoint("POST", "/api/v1/admin/units", "bureau_headers",
                             {"name": "丙站", "type": "other", "address": "某路 1 号"}, UNIT_FIELDS, ("name",)),
    "units.patch": Endpoint("PATCH", "/api/v1/admin/units/{a.unit}", "bureau_headers", {"address": "某路 2 号"},
                            UNIT_FIELDS, dump_only=("id", "unit_id")),
    "members.create": Endpoint("POST", "/api/v1/admin/members", "a_headers", {"name": "王芳", "phone": "13900001111"},
                               MEMBER_FIELDS, ("name",), MEMBER_OUT),
    "members.patch": Endpoint("PATCH", "/api/v1/admin/members/{a.member}", "a_headers", {"post_title": "组长"},
                              MEMBER_FIELDS, dump_only=MEMBER_OUT),
    "windows.create": Endpoint("POST", "/api/v1/admin/windows", "a_headers", {"name": "综合窗口", "duties": ["受理"]},
                               WINDOW_FIELDS, ("name",), ("id", "unit")),
    "windows.patch": Endpoint("PATCH", "/api/v1/admin/windows/{a.window}", "a_headers", {"name": "新窗口"},
                              WINDOW_FIELDS, dump_only=("id", "unit")),
    "posts.create": Endpoint("POST", "/api/v1/admin/posts", "a_headers", {"name": "路口岗", "lat": 30.1, "lng": 120.2},
                             POST_FIELDS, ("name", "lat", "lng"), ("id", "unit")),
    "posts.patch": Endpoint("PATCH", "/api/v1/admin/posts/{a.post}", "a_headers", {"radius_m": 300},
                            POST_FIELDS, dump_only=("id", "unit")),
    "auth.admin": Endpoint("POST", "/api/v1/auth/admin", None, {"username": "nobody", "password": "secret-1"},
                           {"username": "str", "password": "password"}, ("username", "password"), (),
                           allowed={"password": {401}}),
    "auth.wechat": Endpoint("POST", "/api/v1/auth/wechat", None, {"code": "071abc"}, {"code": "str"}, ("code",), ()),
    "me.bind": Endpoint("POST", "/api/v1/me/bind", "citizen_headers", {"bind_code": "ZZZZ2222"},
                        {"bind_code": "str"}, ("bind_code",), ()),
}
# Each endpoint's base body answers this (the bad cases are checked against a body that works).
BASE_STATUS = {"units.create": 201, "members.create": 201, "windows.create": 201, "posts.create": 201,
               "units.patch": 200, "members.patch": 200, "windows.patch": 200, "posts.patch": 200,
               "auth.admin": 401, "auth.wechat": 200, "me.bind": 404}


def text_kinds(endpoint):
    return [f for f, kind in endpoint.fields.items() if kind in ("str", "password", "list_str")]


def bad_values(endpoint, field_name):
    """(label, value) of every bad value of one field; list kinds skip COMMON's valid-looking list."""
    kind = endpoint.fields[field_name]
    bad = KINDS[kind] + [(label, value) for label, value in COMMON
                         if not (kind.startswith("list") and label == "list")]
    if kind == "str" and (field_name == "name" or field_name in endpoint.required):
        bad += REQUIRED_STRING_BAD
    return bad


def resolve(path, world):
    for side in ("a", "b"):
        for attr in ("unit", "member", "window", "post"):
            path = path.replace(f"{{{side}.{attr}}}", str(getattr(getattr(world, side), attr).id))
    return path


def send(client, world, endpoint, *, body=None, raw=None, content_type="application/json", path=None, method=None):
    headers = dict(getattr(world, endpoint.who)) if endpoint.who else {}
    kwargs = {"data": raw} if raw is not None else {"data": json.dumps(body, ensure_ascii=False)}
    if content_type:
        headers["Content-Type"] = content_type
    return client.open(path or resolve(endpoint.path, world), method=method or endpoint.method, headers=headers,
                       **kwargs)


def leaves(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from leaves(item)
    else:
        yield value


def assert_refused(response, before, statuses, field_name=None):
    """A 4xx among ``statuses`` in the error shape, in Chinese, naming ``field_name`` on 422; nothing written."""
    assert response.status_code in statuses, (response.status_code, response.get_data(as_text=True)[:300])
    named = (field_name,) if field_name is not None and response.status_code == 422 else ()
    error = assert_error(response, response.status_code, *named)
    for message in leaves(error.get("fields") or {}):
        assert isinstance(message, str) and CHINESE.search(message), error
    assert db_snapshot() == before, "the refused request wrote to the database"
    return error


class Cases:
    """Runs many bad requests in one test and fails once, listing every one not refused properly."""

    def __init__(self):
        self.failures = []
        self.count = 0

    def check(self, label, request, statuses, field_name=None):
        self.count += 1
        limiter.reset()  # the login and bind limits would otherwise answer 429 after a few cases
        before = db_snapshot()
        try:
            assert_refused(request(), before, statuses, field_name)
        except AssertionError as exc:
            self.failures.append(f"{label}: {str(exc)[:400]}")

    def done(self):
        assert self.count, "no cases ran"
        if self.failures:
            pytest.fail(f"{len(self.failures)} of {self.count} cases failed:\n" + "\n".join(self.failures), pytrace=False)


def endpoint_fields(select=lambda endpoint: endpoint.fields):
    return [pytest.param(n, f, id=f"{n}-{f}") for n, e in ENDPOINTS.items() for f in select(e)]


# --- the base bodies work, so each refusal below is about the one bad thing in it ---

@pytest.mark.parametrize("name", BASE_STATUS)
def test_base_body_is_accepted(client, world, name):
    response = send(client, world, ENDPOINTS[name], body=ENDPOINTS[name].base)
    assert response.status_code == BASE_STATUS[name], response.get_data(as_text=True)[:300]


# --- fields ---

@pytest.mark.parametrize("name,field_name", endpoint_fields())
def test_bad_field_values(client, world, name, field_name):
    """Wrong types, null, oversized and control-character text, out-of-range and huge numbers,
    raw NaN/Infinity tokens and lone surrogates, each in place of one field of a good body."""
    endpoint = ENDPOINTS[name]
    cases = Cases()
    allowed = endpoint.allowed.get(field_name, set())
    for label, value in bad_values(endpoint, field_name):
        body = {**endpoint.base, field_name: value}
        cases.check(label, lambda: send(client, world, endpoint, body=body), {422} | allowed, field_name)
    for token in NON_FINITE:
        raw = json.dumps({**endpoint.base, field_name: "__TOKEN__"}).replace('"__TOKEN__"', token)
        cases.check(token, lambda: send(client, world, endpoint, raw=raw), {400, 422} | allowed, field_name)
    if field_name in text_kinds(endpoint):
        value = ["a\ud800b"] if endpoint.fields[field_name] == "list_str" else "a\ud800b"
        raw = json.dumps({**endpoint.base, field_name: value})  # ASCII-escaped: "a\\ud800b"
        cases.check("lone_surrogate", lambda: send(client, world, endpoint, raw=raw), {400, 422}, field_name)
    cases.done()


@pytest.mark.parametrize("name,field_name", endpoint_fields(lambda e: e.required))
def test_missing_required_field(client, world, name, field_name):
    endpoint = ENDPOINTS[name]
    before = db_snapshot()
    body = {k: v for k, v in endpoint.base.items() if k != field_name}
    assert_refused(send(client, world, endpoint, body=body), before, {422}, field_name)


@pytest.mark.parametrize("name", ENDPOINTS)
def test_unknown_or_read_only_fields(client, world, name):
    endpoint = ENDPOINTS[name]
    cases = Cases()
    for field_name in ("bogus", "__proto__", "", "Name", *endpoint.dump_only):
        body = {**endpoint.base, field_name: {"unit": {"id": 1}}.get(field_name, 5)}
        cases.check(field_name, lambda: send(client, world, endpoint, body=body), {422}, field_name)
    cases.done()


@pytest.mark.parametrize("name", ENDPOINTS)
def test_body_that_is_not_an_object(client, world, name):
    endpoint = ENDPOINTS[name]
    cases = Cases()
    for label, body in [("list", [1, 2]), ("empty_list", []), ("string", "abc"), ("number", 5), ("true", True),
                        ("list_of_good_body", [endpoint.base])]:
        cases.check(label, lambda: send(client, world, endpoint, body=body), {400, 422})
    cases.done()


NOT_JSON = {
    "form": ("name=x&lat=1", "application/x-www-form-urlencoded"),
    "multipart": (b"--b\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nx\r\n--b--\r\n",
                  "multipart/form-data; boundary=b"),
    "plain_text": ("hello", "text/plain"),
    "json_sent_as_text": (None, "text/plain"),
    "json_without_content_type": (None, None),
    "truncated": ('{"name": ', "application/json"),
    "trailing_garbage": (None, "application/json"),
    "two_documents": (None, "application/json"),
    "empty_with_json_type": ("", "application/json"),
    "whitespace_only": ("   \n", "application/json"),
    "null": ("null", "application/json"),
    "single_quotes": ("{'name': 'x'}", "application/json"),
    "comment": ('{"name": "x" /* c */}', "application/json"),
    "invalid_utf8": (b'{"name": "\xff\xfe"}', "application/json"),
    "utf16": (None, "application/json; charset=utf-16"),
    "deeply_nested": ("[" * 100_000 + "]" * 100_000, "application/json"),
    "nested_past_limit": ('{"name": ' + "[" * 100 + "]" * 100 + "}", "application/json"),
    "nested_in_field": (None, "application/json"),
}


@pytest.mark.parametrize("name", ENDPOINTS)
def test_body_that_is_not_json_is_400(client, world, name):
    endpoint = ENDPOINTS[name]
    base = json.dumps(endpoint.base, ensure_ascii=False)
    derived = {
        "json_sent_as_text": base, "json_without_content_type": base, "trailing_garbage": base + " junk",
        "two_documents": base + base, "utf16": base.encode("utf-16"),
        "nested_in_field": base[:-1] + ', "x": ' + "[" * 900 + "]" * 900 + "}",
    }
    cases = Cases()
    for label, (raw, content_type) in NOT_JSON.items():
        raw = derived.get(label, raw)
        # Valid JSON, only nested deeper than any request needs: refusing it is the server's choice.
        statuses = {400, 422} if label.startswith("nested_") else {400}
        cases.check(label, lambda: send(client, world, endpoint, raw=raw, content_type=content_type), statuses)
    cases.done()
    assert send(client, world, endpoint, raw="{").get_json()["error"]["code"] == "invalid_json"


# --- ids in paths ---

PATCHES = [n for n, e in ENDPOINTS.items() if e.method == "PATCH"]
BAD_PATH_IDS = ["0", "99999999", str(2**31), "99999999999999999999", "1" * 400, "-1", "1.5", "abc", "%00", "1%00",
                "1e3", "0x10"]


@pytest.mark.parametrize("name", PATCHES)
def test_impossible_path_id_is_404(client, world, name):
    endpoint = ENDPOINTS[name]
    cases = Cases()
    for bad_id in BAD_PATH_IDS:
        path = endpoint.path.rsplit("/", 1)[0] + "/" + bad_id
        for method in ("GET", "PATCH"):
            cases.check(f"{method} {bad_id}", lambda: send(client, world, endpoint, body=endpoint.base, path=path,
                                                           method=method), {404})
    cases.done()


def test_bind_code_of_impossible_member_is_404(client, world):
    cases = Cases()
    for bad_id in BAD_PATH_IDS:
        cases.check(bad_id, lambda: client.post(f"/api/v1/admin/members/{bad_id}/bind-code",
                                                headers=world.bureau_headers), {404})
    cases.done()


# --- query strings of the lists ---

LISTS = ["units", "members", "windows", "posts"]
BAD_QUERIES = [
    ("page", "0"), ("page", "-1"), ("page", "abc"), ("page", "1.5"), ("page", "9" * 40), ("page", "NaN"),
    ("page", ""), ("page_size", "0"), ("page_size", "101"), ("page_size", "1e3"), ("page_size", "9" * 40),
    ("unit_id", "0"), ("unit_id", "-1"), ("unit_id", "abc"), ("unit_id", "9" * 40), ("unit_id", "1.0"),
    ("unit_id", "Infinity"), ("q", "x" * 10_000), ("q", "a\x00b"), ("q", "\x1b"),
]


@pytest.mark.parametrize("resource", LISTS)
def test_bad_list_query_is_422(client, world, resource):
    cases = Cases()
    for arg, value in BAD_QUERIES:
        cases.check(f"{arg}={value[:20]!r}", lambda: client.get(f"/api/v1/admin/{resource}", query_string={arg: value},
                                                                headers=world.bureau_headers), {422}, arg)
    cases.done()


@pytest.mark.parametrize("resource", LISTS)
def test_last_possible_page_is_empty_not_an_error(client, world, resource):
    response = client.get(f"/api/v1/admin/{resource}?page=2147483647&page_size=100", headers=world.bureau_headers)
    assert response.status_code == 200
    assert response.get_json()["items"] == []
