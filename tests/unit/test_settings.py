from __future__ import annotations

from pathlib import Path

import pytest

from conveyor.settings import SettingsError, load_settings, require_database_url


def test_defaults_are_safe_for_local_use(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CONVEYOR_DATABASE_URL", "CONVEYOR_ENV", "CONVEYOR_HTTP_ALLOW"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.database_url is None  # embedded database
    assert settings.api_host == "127.0.0.1"
    assert settings.http_allow_list == []
    assert settings.max_payload_bytes == 256 * 1024


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CONVEYOR_API_PORT", "eighty", "CONVEYOR_API_PORT"),
        ("CONVEYOR_API_PORT", "70000", "CONVEYOR_API_PORT"),
        ("CONVEYOR_DATABASE_URL", "mysql://x", "CONVEYOR_DATABASE_URL"),
        ("CONVEYOR_HTTP_ALLOW", "10.0.0.0/33", "CONVEYOR_HTTP_ALLOW"),
        ("CONVEYOR_LOG_LEVEL", "chatty", "CONVEYOR_LOG_LEVEL"),
        ("CONVEYOR_WORKER_CONCURRENCY", "0", "CONVEYOR_WORKER_CONCURRENCY"),
        ("CONVEYOR_AUTH_FAILURE_LIMIT", "lots", "CONVEYOR_AUTH_FAILURE_LIMIT"),
        ("CONVEYOR_TRUSTED_PROXIES", "10.0.0.1,the-lb", "CONVEYOR_TRUSTED_PROXIES"),
        ("CONVEYOR_MAX_SCHEDULES_PER_USER", "0", "CONVEYOR_MAX_SCHEDULES_PER_USER"),
        ("CONVEYOR_MAX_API_KEYS_PER_USER", "many", "CONVEYOR_MAX_API_KEYS_PER_USER"),
        ("CONVEYOR_WORKER_QUEUES", "default,bulk mail", "'bulk mail' is not a queue name"),
        ("CONVEYOR_WORKER_QUEUES", " , ", "CONVEYOR_WORKER_QUEUES.*names no queue"),
    ],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=message):
        load_settings()


def test_production_requires_an_external_database_where_one_is_needed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CONVEYOR_DATABASE_URL", raising=False)
    monkeypatch.setenv("CONVEYOR_ENV", "production")
    settings = load_settings()  # the console needs no database, so loading succeeds
    with pytest.raises(SettingsError, match="CONVEYOR_DATABASE_URL is required"):
        require_database_url(settings)
    monkeypatch.setenv("CONVEYOR_DATABASE_URL", "postgresql://db/conveyor")
    assert require_database_url(load_settings()) == "postgresql://db/conveyor"


def test_secrets_can_come_from_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "db"
    secret.write_text("postgresql://app:s3cret@db/conveyor\n")
    monkeypatch.delenv("CONVEYOR_DATABASE_URL", raising=False)
    monkeypatch.setenv("CONVEYOR_DATABASE_URL_FILE", str(secret))
    assert load_settings().database_url == "postgresql://app:s3cret@db/conveyor"
    monkeypatch.setenv("CONVEYOR_DATABASE_URL_FILE", str(tmp_path / "missing"))
    with pytest.raises(SettingsError, match="CONVEYOR_DATABASE_URL_FILE: cannot read"):
        load_settings()


@pytest.mark.parametrize(
    "variable",
    ["CONVEYOR_FLAGS_FILE", "CONVEYOR_TLS_CERT_FILE", "CONVEYOR_TLS_KEY_FILE", "CONVEYOR_API_CA_FILE"],
)
def test_an_empty_file_variable_means_unset(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    # `VAR=` in a .env or Compose file: unset, not the current folder.
    monkeypatch.setenv(variable, "")
    settings = load_settings()
    assert getattr(settings, variable.removeprefix("CONVEYOR_").lower()) is None


def test_an_unreadable_ca_file_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CONVEYOR_API_CA_FILE", str(tmp_path / "ca.pem"))
    with pytest.raises(SettingsError, match=r"CONVEYOR_API_CA_FILE: .*ca\.pem does not exist"):
        load_settings()


def test_worker_queues_are_trimmed_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVEYOR_WORKER_QUEUES", " default , conveyor.webhooks,")
    assert load_settings().queues == ["default", "conveyor.webhooks"]
