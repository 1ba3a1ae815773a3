"""The application factory and its configurations."""
import pytest

from server import create_app


def test_test_config(app):
    assert app.testing
    assert app.config["PUBLIC_BASE_URL"] == "https://rs.example.cn"


def test_production_refuses_to_start_without_secrets(monkeypatch):
    for name in ("SECRET_KEY", "WECHAT_APPID", "WECHAT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WECHAT_APPID", "wx123")
    with pytest.raises(RuntimeError) as excinfo:
        create_app("production")
    assert "SECRET_KEY" in str(excinfo.value) and "WECHAT_SECRET" in str(excinfo.value)
    assert "WECHAT_APPID" not in str(excinfo.value)


def test_production_starts_with_secrets(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s" * 32)
    monkeypatch.setenv("WECHAT_APPID", "wx123")
    monkeypatch.setenv("WECHAT_SECRET", "secret")
    app = create_app("production")
    assert not app.testing


def test_development_without_appid_uses_logged_stand_in(caplog):
    app = create_app("development")
    assert type(app.extensions["wechat"]).__name__ == "LocalStandIn"
    assert "LOCAL STAND-IN" in caplog.text


def test_ensure_sync_keeps_its_answer_for_a_bounded_number_of_functions(app):
    """RedStation.ensure_sync: a plain function comes back as itself (and is remembered, up to
    SYNC_CACHE_SIZE functions, so functions made per request do not pile up); a coroutine
    function is still handed to Flask's async support, never run as if it were plain."""
    def view():
        return "ok"

    assert app.ensure_sync(view) is view and app.ensure_sync(view) is view
    made_per_request = [lambda: None for _ in range(app.SYNC_CACHE_SIZE + 50)]
    for func in made_per_request:
        assert app.ensure_sync(func) is func
    assert len(app._ensured) == app.SYNC_CACHE_SIZE

    async def coroutine_view():
        return "ok"

    try:
        ensured = app.ensure_sync(coroutine_view)
    except RuntimeError as error:  # Flask's async extra (asgiref) is not installed
        assert "async" in str(error)
    else:
        assert ensured is not coroutine_view


def test_a_request_without_cookies_gets_an_empty_session_and_one_with_the_console_s_cookie_its_own(app):
    """The session interface skips cookie parsing when there is no Cookie header, and reads a signed one."""
    from flask import session

    with app.test_request_context("/"):
        assert dict(session) == {} and not session.modified
    cookie = app.session_interface.get_signing_serializer(app).dumps({"admin_id": 7})
    with app.test_request_context("/", headers={"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie}"}):
        assert session.get("admin_id") == 7
