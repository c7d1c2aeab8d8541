"""`conveyor up`'s files and output: logs readable by their user only, secrets shown once."""

from __future__ import annotations

import stat
from pathlib import Path

from conveyor.local import open_private_log, secret_line


def test_logs_are_created_0600_and_older_ones_tightened(tmp_path: Path) -> None:
    fresh = tmp_path / "api.log"
    with open_private_log(fresh) as log:
        log.write(b"one\n")
    older = tmp_path / "web.log"
    older.write_bytes(b"kept\n")
    older.chmod(0o644)  # as versions before this one created them
    with open_private_log(older) as log:
        log.write(b"appended\n")
    assert stat.S_IMODE(fresh.stat().st_mode) == stat.S_IMODE(older.stat().st_mode) == 0o600
    assert older.read_bytes() == b"kept\nappended\n"


def test_a_secret_is_printed_when_created_and_only_its_place_after(tmp_path: Path) -> None:
    path = tmp_path / "admin.key"
    created = secret_line("admin key", "cvk_secret", True, path)
    assert "cvk_secret" in created and str(path) in created
    again = secret_line("admin key", "cvk_secret", False, path)
    assert "cvk_secret" not in again and str(path) in again
