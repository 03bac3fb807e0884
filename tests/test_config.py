"""Configuration: production refuses to run on development defaults."""

from __future__ import annotations

import pytest

from config import ConfigError, ProductionConfig, config_from_env, normalize_database_url


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, "TRACKER_SECRET_KEY, TRACKER_DATABASE_URL"),
        ({"TRACKER_SECRET_KEY": "s" * 40}, "TRACKER_DATABASE_URL"),
        ({"TRACKER_DATABASE_URL": "postgresql://x@y/z"}, "TRACKER_SECRET_KEY"),
    ],
)
def test_production_refuses_without_secret_and_database(monkeypatch, env, missing):
    for name in ("TRACKER_SECRET_KEY", "TRACKER_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as exc:
        ProductionConfig.check()
    assert missing in str(exc.value)


def test_production_starts_with_both(monkeypatch):
    monkeypatch.setenv("TRACKER_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("TRACKER_DATABASE_URL", "postgresql://u@h/db")
    ProductionConfig.check()
    assert ProductionConfig.SECRET_KEY == "s" * 40


def test_unknown_environment_is_refused(monkeypatch):
    monkeypatch.setenv("TRACKER_ENV", "staging")
    with pytest.raises(ConfigError):
        config_from_env()


def test_plain_postgresql_urls_use_psycopg3():
    assert normalize_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_healthz_is_tiny(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
