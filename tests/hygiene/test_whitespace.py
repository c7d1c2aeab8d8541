"""Every tracked text file follows .editorconfig (charset, line endings, final newline, trailing
whitespace, tabs vs spaces), as editorconfig-checker reads it. Indent width is ruff's, Helm's and
the other formatters' business and is switched off in .editorconfig-checker.json."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHECKER = REPO / ".cache" / "tools" / "bin" / "editorconfig-checker"


def check(paths: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    if not os.access(CHECKER, os.X_OK):
        pytest.fail(f"{CHECKER} is missing — run `make tools`", pytrace=False)
    return subprocess.run(
        [str(CHECKER), "-no-color", *paths], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_tracked_files_follow_editorconfig() -> None:
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True, text=True)
    files = [name for name in listing.stdout.split("\0") if name and (REPO / name).is_file()]
    result = check(files, REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_trailing_whitespace_is_reported(tmp_path: Path) -> None:
    # The check above can fail: a file that breaks the rules is named with its line.
    (tmp_path / ".editorconfig").write_text((REPO / ".editorconfig").read_text())
    (tmp_path / "bad.py").write_text("x = 1   \n")
    result = check(["bad.py"], tmp_path)
    assert result.returncode != 0
    assert "bad.py" in result.stdout
