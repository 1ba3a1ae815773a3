"""Helpers for console tests with Flask's test client: sign in, read a form's CSRF token, find the
error shown beside a field, and recognise the console's error page."""
import html
import re

import pytest

from conftest import CHINESE, running_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(response):
    match = CSRF.search(response.get_data(as_text=True))
    assert match, "the page has no CSRF field"
    return match.group(1)


def post_login(client, username, password, next_path=None):
    """Submit the console's sign-in form (with ``?next=next_path`` when given) as a browser would;
    returns the response, whatever it is (a redirect when signed in, the form again when refused)."""
    page = client.get("/admin/login")
    query = f"?next={next_path}" if next_path else ""
    return client.post(f"/admin/login{query}", data={"username": username, "password": password,
                                                      "csrf_token": csrf_token(page)})


def sign_in(client, username, password, next_path=None):
    """Sign ``client`` in to the console (it must succeed); returns a CSRF token for its forms."""
    response = post_login(client, username, password, next_path)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return csrf_token(client.get("/admin/units"))  # every page has the sign-out form


@pytest.fixture
def app(request):
    """For a module that imports it: the app served over HTTP (browser_support's live app; export
    jobs run in a background thread) when the test drives the browser, else the faster in-memory
    one for Flask's test client (jobs run inline)."""
    if "browser" in request.fixturenames:
        yield request.getfixturevalue("live_app")
    else:
        with running_app("test") as test_app:
            yield test_app


def field_block(response, name):
    """The HTML of the form field ``name`` (its label, input and error), or None."""
    text = response.get_data(as_text=True)
    match = re.search(r'<div class="field[^"]*">\s*<label for="f-%s">.*?</div>' % re.escape(name), text, re.S)
    return match.group(0) if match else None


def error_beside(response, name):
    """The error shown beside field ``name`` (in its field block, marked invalid), or None."""
    block = field_block(response, name)
    if block is None or 'class="field invalid"' not in block:
        return None
    match = re.search(r'<span class="field-error" id="%s-error" role="alert">(.*?)</span>' % re.escape(name), block, re.S)
    return html.unescape(match.group(1)) if match else None


def assert_error_beside(response, status, name, *fragments):
    """``response`` is the form again with ``status`` and a Chinese error beside ``name`` containing ``fragments``."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:800])
    message = error_beside(response, name)
    assert message and CHINESE.search(message), (name, field_block(response, name))
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


def assert_error_page(response, status):
    """The console's HTML error page with ``status`` and a Chinese message."""
    body = response.get_data(as_text=True)
    assert response.status_code == status, (response.status_code, body[:500])
    assert response.mimetype == "text/html"
    assert f"<h1>{status} · " in body, body[:500]
    message = re.search(r'<p class="lead">(.*?)</p>', body, re.S).group(1)
    assert CHINESE.search(message)
    return message
