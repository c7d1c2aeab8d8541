"""pgBackRest for a Cluster: the committed policy (scripts/dr/pgbackrest.conf) plus a runtime
include with the paths and a passphrase generated for this repository, never committed.

    python -m scripts.dr.backup info --root DIR      (what a drill's repository holds)
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.dr.postgres import SERVER_USER, Cluster, DrillError, make_workdir, run

POLICY = Path(__file__).resolve().parent / "pgbackrest.conf"
STANZA = "conveyor"


@dataclass
class Repository:
    """An encrypted pgBackRest repository (repo1, posix) under ``root``."""

    root: Path

    @property
    def path(self) -> Path:
        return self.root / "repo"

    @property
    def include_dir(self) -> Path:
        return self.root / "pgbackrest.d"

    def base_args(self) -> list[str]:
        return [
            "pgbackrest",
            f"--config={POLICY}",
            f"--config-include-path={self.include_dir}",
            f"--stanza={STANZA}",
        ]

    def archive_command(self) -> str:
        return " ".join([*self.base_args(), "archive-push", "%p"])

    def restore_command(self) -> str:
        return " ".join([*self.base_args(), "archive-get", "%f", '"%p"'])

    def configure(self, cluster: Cluster) -> None:
        """Write the runtime include (0600, server user's): pg1 = ``cluster``, a fresh passphrase
        the first time (kept on later calls: the repository is encrypted with it)."""
        make_workdir(self.include_dir)
        for sub in ("repo", "log", "lock", "spool"):
            make_workdir(self.root / sub)
        runtime = self.include_dir / "runtime.conf"
        passphrase = _existing_passphrase(runtime) or secrets.token_urlsafe(48)
        runtime.write_text(
            "[global]\n"
            f"repo1-path={self.path}\n"
            f"repo1-cipher-pass={passphrase}\n"
            f"log-path={self.root / 'log'}\n"
            f"lock-path={self.root / 'lock'}\n"
            f"spool-path={self.root / 'spool'}\n"
            f"\n[{STANZA}]\n"
            f"pg1-path={cluster.data}\n"
            f"pg1-port={cluster.port}\n"
            f"pg1-socket-path={cluster.socket_dir}\n"
            f"pg1-user={SERVER_USER}\n"
        )
        runtime.chmod(0o600)
        if os.geteuid() == 0:
            owner = pwd.getpwnam(SERVER_USER)
            os.chown(runtime, owner.pw_uid, owner.pw_gid)

    def archiving_settings(self, archive_timeout_s: int) -> dict[str, str]:
        """What the primary needs to ship every WAL segment here within ``archive_timeout_s``."""
        return {
            "archive_mode": "on",
            "archive_command": f"'{self.archive_command()}'",
            "archive_timeout": f"'{archive_timeout_s}s'",
        }

    def command(self, *args: str, timeout: float = 300) -> str:
        return run([*self.base_args(), *args], timeout=timeout)

    def stanza_create(self) -> None:
        self.command("stanza-create")
        self.command("check")

    def backup(self, kind: str) -> dict[str, Any]:
        """Take a ``full``, ``diff`` or ``incr`` backup; return pgBackRest's record of it."""
        if kind not in ("full", "diff", "incr"):
            raise DrillError(f"backup type must be full, diff or incr, not {kind!r}")
        self.command("backup", f"--type={kind}")
        newest: dict[str, Any] = self.info()["backup"][-1]
        if newest["type"] != kind:
            raise DrillError(f"pgBackRest recorded a {newest['type']} backup, asked for {kind}")
        return newest

    def info(self) -> dict[str, Any]:
        stanzas: list[dict[str, Any]] = json.loads(self.command("info", "--output=json"))
        if not stanzas or stanzas[0]["status"]["code"] != 0:
            raise DrillError(f"pgBackRest repository is not healthy: {stanzas}")
        return stanzas[0]

    def restore(self, cluster: Cluster, *, target_time: str | None = None) -> None:
        """Restore into ``cluster``'s (empty) data directory: to the end of the archived WAL,
        or to ``target_time`` (PITR, stopping just before it) and then promoted."""
        make_workdir(cluster.root / cluster.name)
        args = ["restore", f"--pg1-path={cluster.data}"]
        if target_time:
            args += [
                "--type=time",
                f"--target={target_time}",
                "--target-exclusive",
                "--target-action=promote",
            ]
        self.command(*args, timeout=600)
        cluster.configure()


def _existing_passphrase(runtime: Path) -> str | None:
    if not runtime.exists():
        return None
    for line in runtime.read_text().splitlines():
        if line.startswith("repo1-cipher-pass="):
            return line.split("=", 1)[1]
    return None


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("action", choices=["info"])
    parser.add_argument("--root", type=Path, required=True, help="a drill's work directory")
    args = parser.parse_args()
    if not (args.root / "pgbackrest.d" / "runtime.conf").exists():
        print(f"{args.root}: no pgBackRest repository configured there", file=sys.stderr)
        return 2
    print(json.dumps(Repository(args.root).info(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
