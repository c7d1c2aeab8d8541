"""Secrets given as files follow the file (conveyor.settings.rotating_secret): a rotated value
is returned after the file changes; a missing, empty or invalid file keeps the last good value."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conveyor.settings import rotating_secret

FIRST = "postgresql://app:first@db/conveyor"
SECOND = "postgresql://app:second@db/conveyor"


def is_url(text: str) -> bool:
    return text.startswith("postgresql://")


def replace(path: Path, text: str) -> None:
    """As Kubernetes updates a mounted Secret: a new file swapped in atomically."""
    staging = path.with_suffix(".new")
    staging.write_text(text)
    os.replace(staging, path)


@pytest.fixture
def secret_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "database-url"
    path.write_text(FIRST + "\n")
    monkeypatch.delenv("CONVEYOR_DATABASE_URL", raising=False)
    monkeypatch.setenv("CONVEYOR_DATABASE_URL_FILE", str(path))
    return path


def test_a_rotated_file_is_read_again(secret_file: Path) -> None:
    current = rotating_secret("database_url", FIRST, is_url)
    assert current() == FIRST
    replace(secret_file, SECOND + "\n")
    assert current() == SECOND
    assert current() == SECOND


def test_a_missing_empty_or_invalid_file_keeps_the_last_good_value(secret_file: Path) -> None:
    current = rotating_secret("database_url", FIRST, is_url)
    secret_file.unlink()
    assert current() == FIRST
    secret_file.write_text("")
    assert current() == FIRST
    replace(secret_file, "not a url")
    assert current() == FIRST
    replace(secret_file, SECOND)
    assert current() == SECOND


def test_a_value_not_from_the_file_never_changes(secret_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The variable wins over the file (as at load): nothing to follow.
    monkeypatch.setenv("CONVEYOR_DATABASE_URL", FIRST)
    pinned = rotating_secret("database_url", FIRST, is_url)
    monkeypatch.delenv("CONVEYOR_DATABASE_URL")
    # A URL given directly (not the file's content) is not replaced by the file's.
    other = rotating_secret("database_url", "postgresql://other@db/x", is_url)
    replace(secret_file, SECOND)
    assert pinned() == FIRST
    assert other() == "postgresql://other@db/x"


def test_without_a_file_the_value_is_constant(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONVEYOR_DATABASE_URL_FILE", raising=False)
    assert rotating_secret("database_url", FIRST)() == FIRST
