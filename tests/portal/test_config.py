import os
import stat

import pytest

from portal import create_app
from portal.config import ConfigError, load_config


def test_production_without_secret_refuses_to_start(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.delenv("PORTAL_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="PORTAL_SECRET_KEY must be set"):
        create_app({"INSTANCE_DIR": str(tmp_path)})


def test_production_with_secret_uses_it_and_secures_cookies(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("PORTAL_SECRET_KEY", "x" * 64)
    app = create_app({"INSTANCE_DIR": str(tmp_path)})
    assert app.config["SECRET_KEY"] == "x" * 64
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert not (tmp_path / "secret_key").exists()


def test_development_generates_secret_once_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.delenv("PORTAL_ENV", raising=False)
    monkeypatch.delenv("PORTAL_SECRET_KEY", raising=False)
    first = load_config({"INSTANCE_DIR": str(tmp_path)})
    second = load_config({"INSTANCE_DIR": str(tmp_path)})
    key_file = tmp_path / "secret_key"
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert len(first["SECRET_KEY"]) >= 64
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_environment_variables_are_read(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    monkeypatch.setenv("PORTAL_INDEX_DIR", str(tmp_path / "idx"))
    monkeypatch.setenv("PORTAL_LANGUAGE", "en")
    monkeypatch.setenv("PORTAL_TICKET_ID_PATTERN", r"T\d+")
    config = load_config({"INSTANCE_DIR": str(tmp_path)})
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path}/x.db"
    assert config["INDEX_DIR"] == str(tmp_path / "idx")
    assert config["LANGUAGE"] == "en"
    assert config["TICKET_ID_PATTERN"] == r"T\d+"


def test_default_database_is_sqlite_in_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("PORTAL_DATABASE_URL", raising=False)
    config = load_config({"INSTANCE_DIR": str(tmp_path)})
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path}/portal.db"
    assert config["LANGUAGE"] == "zh_CN"


def test_unknown_language_is_rejected(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_LANGUAGE", "fr")
    with pytest.raises(ConfigError, match="PORTAL_LANGUAGE"):
        load_config({"INSTANCE_DIR": str(tmp_path)})


def test_overrides_win(tmp_path):
    config = load_config({"INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "k" * 40, "TESTING": True})
    assert config["SECRET_KEY"] == "k" * 40
    assert config["TESTING"] is True
