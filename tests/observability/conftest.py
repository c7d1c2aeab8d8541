"""The observability checks run promtool, amtool, Sloth, Node and a live Prometheus/Alertmanager.

A plain ``pytest`` (``make unit``) leaves them out; ``make observability-checks`` (part of
``make test``) installs the tools and runs them with CONVEYOR_OBSERVABILITY_TESTS=1, and naming
this directory on the command line runs them too. A missing tool fails a test, never skips it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.support import REPO

HERE = Path(__file__).resolve().parent
OBSERVABILITY = REPO / "observability"
RULES = OBSERVABILITY / "prometheus" / "rules"
RULE_TESTS = OBSERVABILITY / "prometheus" / "tests"
TOOLS_BIN = REPO / ".cache" / "tools" / "bin"
BUILT_TOOLS = {"sloth", "alertmanager", "amtool"}  # `make tools`; the rest from Debian/npm


def _named_on_command_line(config: pytest.Config) -> bool:
    base = config.invocation_params.dir
    for arg in config.args:
        path = (base / arg.split("::", 1)[0]).resolve()
        if path == HERE or HERE in path.parents:
            return True
    return False


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path.resolve() == HERE or HERE not in collection_path.resolve().parents:
        return None
    if os.environ.get("CONVEYOR_OBSERVABILITY_TESTS") == "1" or _named_on_command_line(config):
        return None
    return True


def tool(name: str) -> str:
    """The path of a required tool; fails (never skips) naming how to get it."""
    if name in BUILT_TOOLS:
        built = TOOLS_BIN / name
        if not built.exists():
            pytest.fail(f"{name} is not built: run `make tools`")
        return str(built)
    path = shutil.which(name)
    if not path:
        pytest.fail(f"{name} is not installed: run `make observability-tools`")
    return path
