"""scripts/web_assets.py: the console's browser assets installed as the lockfile pins them."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from tests.support import REPO


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("web_assets", REPO / "scripts" / "web_assets.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


web_assets = load()


def sri(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def test_the_committed_lockfile_pins_htmx_with_an_integrity_digest() -> None:
    [(name, version, url, integrity)] = web_assets.packages(web_assets.LOCKFILE)
    assert name == "htmx.org"
    assert url == f"https://registry.npmjs.org/htmx.org/-/htmx.org-{version}.tgz"
    assert integrity.startswith("sha512-")


def test_a_tarball_that_does_not_match_the_lockfile_is_refused() -> None:
    good = b"the published tarball"
    assert web_assets.verified(good, sri(good), "pkg@1") == good
    with pytest.raises(web_assets.AssetError, match="pkg@1: integrity mismatch"):
        web_assets.verified(b"something else", sri(good), "pkg@1")
    with pytest.raises(web_assets.AssetError, match="unsupported integrity algorithm 'md5'"):
        web_assets.verified(good, "md5-abc", "pkg@1")


def test_packages_with_install_scripts_or_dependencies_are_refused(tmp_path: Path) -> None:
    lock = {
        "lockfileVersion": 3,
        "packages": {
            "": {"name": "x"},
            "node_modules/evil": {"version": "1.0.0", "integrity": "sha512-x", "hasInstallScript": True},
        },
    }
    path = tmp_path / "package-lock.json"
    path.write_text(json.dumps(lock))
    with pytest.raises(web_assets.AssetError, match="evil is not a self-contained package"):
        web_assets.packages(path)


def test_a_package_name_pointing_outside_the_destination_is_refused(tmp_path: Path) -> None:
    lock = {
        "lockfileVersion": 3,
        "packages": {"node_modules/../../escape": {"version": "1.0.0", "integrity": "sha512-x"}},
    }
    path = tmp_path / "package-lock.json"
    path.write_text(json.dumps(lock))
    dest = tmp_path / "web" / "node_modules"
    dest.mkdir(parents=True)
    with pytest.raises(web_assets.AssetError, match="points outside"):
        web_assets.install(path, dest)  # refused before anything is downloaded or deleted
