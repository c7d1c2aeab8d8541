"""The observability checks run promtool, amtool, Sloth, Node and a live Prometheus/Alertmanager.

A plain ``pytest`` (``make unit``) leaves them out; ``make observability-checks`` (part of
``make test``) installs the tools and runs them with CONVEYOR_OBSERVABILITY_TESTS=1, and naming
this directory on the command line runs them too. A missing tool fails a test, never skips it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support import REPO, opt_in_collection

HERE = Path(__file__).resolve().parent
OBSERVABILITY = REPO / "observability"
RULES = OBSERVABILITY / "prometheus" / "rules"
RULE_TESTS = OBSERVABILITY / "prometheus" / "tests"
TOOLS_BIN = REPO / ".cache" / "tools" / "bin"
# Built by `make tools`; the rest come from Debian and npm.
BUILT_TOOLS = {"sloth", "alertmanager", "amtool", "otelcol-conveyor", "jaeger", "victoria-logs"}


pytest_ignore_collect = opt_in_collection(HERE, "CONVEYOR_OBSERVABILITY_TESTS")


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
