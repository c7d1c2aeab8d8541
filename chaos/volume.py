"""A small filesystem of the experiment's own for PostgreSQL's data directory (WAL included): a
tmpfs mounted there before initdb, so a ballast file can fill it to the last page without
touching the machine's disks, and unmounted when the experiment ends, failed or not.

Mounting needs root (CAP_SYS_ADMIN), as the drills run on CI and these machines; elsewhere the
experiment fails saying so."""

from __future__ import annotations

import contextlib
import errno
import os
import pwd
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from scripts.dr.postgres import SERVER_USER, DrillError, make_workdir

BALLAST = "chaos-ballast"  # PostgreSQL ignores files it does not know in its data directory


@dataclass
class Volume:
    path: Path
    size_mb: int

    @property
    def ballast(self) -> Path:
        return self.path / BALLAST

    def free_bytes(self) -> int:
        stat = os.statvfs(self.path)
        return stat.f_bavail * stat.f_frsize

    def fill(self) -> int:
        """Fill every free byte with the ballast file; return how many bytes it took."""
        with self.ballast.open("ab", buffering=0) as out:
            with contextlib.suppress(OSError):
                os.posix_fallocate(out.fileno(), out.tell(), self.free_bytes())
            # Whatever fallocate left (or PostgreSQL freed meanwhile), page by page.
            chunk = b"\0" * 4096
            while True:
                try:
                    out.write(chunk)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
        return self.ballast.stat().st_size

    def release(self) -> int:
        """Delete the ballast (the operator freeing space); return the bytes freed."""
        size = self.ballast.stat().st_size if self.ballast.exists() else 0
        self.ballast.unlink(missing_ok=True)
        return size


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise DrillError(f"{name} is not installed (util-linux)")
    return found


def _mounted(path: Path) -> bool:
    return any(line.split()[1] == str(path) for line in Path("/proc/self/mounts").read_text().splitlines())


@contextmanager
def tmpfs(path: Path, size_mb: int) -> Iterator[Volume]:
    """A ``size_mb`` tmpfs at ``path`` owned by the PostgreSQL server user; unmounted on exit
    (lazily if something still holds it, so it never outlives the experiment)."""
    if os.geteuid() != 0:
        raise DrillError("filling PostgreSQL's disk needs root to mount a tmpfs for its data directory")
    make_workdir(path.parent)
    path.mkdir(mode=0o700)
    owner = pwd.getpwnam(SERVER_USER)
    options = f"size={size_mb}m,mode=0700,uid={owner.pw_uid},gid={owner.pw_gid}"
    result = subprocess.run(
        [_tool("mount"), "-t", "tmpfs", "-o", options, "conveyor-chaos-pgdata", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if result.returncode != 0:
        raise DrillError(f"cannot mount a tmpfs at {path}: {result.stderr.strip()}")
    try:
        yield Volume(path, size_mb)
    finally:
        if _mounted(path):
            umount = _tool("umount")
            done = subprocess.run([umount, str(path)], capture_output=True, timeout=30, check=False)
            if done.returncode != 0:
                subprocess.run([umount, "--lazy", str(path)], capture_output=True, timeout=30, check=False)
