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
