"""Install the console's browser assets exactly as src/conveyor/web/package-lock.json pins them.

What ``npm ci`` does for a lockfile of plain packages, without Node.js: each package's tarball
comes from the npm registry, is checked against the lockfile's ``integrity`` digest (refused
on any mismatch), and is unpacked into ``node_modules/<name>``. So ``make up`` and the image
build need nothing but Python (ADR 0300).

    python scripts/web_assets.py [--dest DIR]     default: src/conveyor/web/node_modules

Packages with install scripts or dependencies of their own are refused: the console only
uses self-contained browser files (HTMX).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

WEB = Path(__file__).resolve().parent.parent / "src" / "conveyor" / "web"
LOCKFILE = WEB / "package-lock.json"
REGISTRY = os.environ.get("NPM_CONFIG_REGISTRY", "https://registry.npmjs.org").rstrip("/")


class AssetError(Exception):
    pass


def packages(lockfile: Path) -> list[tuple[str, str, str, str]]:
    """(name, version, tarball URL, integrity) of every package the lockfile installs."""
    lock = json.loads(lockfile.read_text())
    if lock.get("lockfileVersion") not in (2, 3):
        raise AssetError(f"{lockfile}: lockfileVersion {lock.get('lockfileVersion')} is not supported")
    found = []
    for path, entry in lock["packages"].items():
        if not path:
            continue  # the project itself
        name = path.removeprefix("node_modules/")
        if "node_modules/" in name or entry.get("hasInstallScript") or entry.get("dependencies"):
            raise AssetError(f"{lockfile}: {name} is not a self-contained package")
        version, integrity = entry["version"], entry["integrity"]
        url = entry.get("resolved") or f"{REGISTRY}/{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz"
        found.append((name, version, url, integrity))
    return found


def verified(data: bytes, integrity: str, what: str) -> bytes:
    algorithm, _, expected = integrity.partition("-")
    if algorithm not in ("sha512", "sha384", "sha256"):
        raise AssetError(f"{what}: unsupported integrity algorithm {algorithm!r}")
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if actual != expected:
        raise AssetError(f"{what}: integrity mismatch (lockfile {integrity}, got {algorithm}-{actual})")
    return data


def unpack(data: bytes, into: Path, what: str) -> None:
    """Regular files and directories only, each inside ``into`` (tarfile's ``filter="data"``
    does this from Python 3.11.4; Debian bookworm's 3.11.2 lacks it)."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            target = (into / member.name).resolve()
            if not target.is_relative_to(into.resolve()) or not (member.isfile() or member.isdir()):
                raise AssetError(f"{what}: refusing tarball entry {member.name!r}")
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            assert source is not None  # a regular file
            target.write_bytes(source.read())
            target.chmod(0o644)


def install(lockfile: Path, dest: Path) -> list[str]:
    done = []
    for name, version, url, integrity in packages(lockfile):
        target = dest / name
        if not target.resolve().is_relative_to(dest.resolve()):
            raise AssetError(f"{lockfile}: package name {name!r} points outside {dest}")
        stamp = target / ".integrity"
        if stamp.is_file() and stamp.read_text() == integrity:
            continue
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (https registry URL)
            data = verified(response.read(), integrity, f"{name}@{version}")
        staging = Path(tempfile.mkdtemp(prefix="web-assets-", dir=dest.parent))
        try:
            unpack(data, staging, f"{name}@{version}")
            shutil.rmtree(target, ignore_errors=True)
            target.parent.mkdir(parents=True, exist_ok=True)
            (staging / "package").rename(target)
            stamp.write_text(integrity)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        done.append(f"{name}@{version}")
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lockfile", type=Path, default=LOCKFILE)
    parser.add_argument("--dest", type=Path, default=WEB / "node_modules")
    args = parser.parse_args()
    args.dest.mkdir(parents=True, exist_ok=True)
    try:
        installed = install(args.lockfile, args.dest)
    except (AssetError, OSError) as exc:
        sys.exit(f"web assets: {exc}")
    print(f"web assets: {', '.join(installed) if installed else 'up to date'} in {args.dest}")


if __name__ == "__main__":
    main()
