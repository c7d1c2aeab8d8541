"""The platform-engineering tests: the Backstage catalog read by @backstage/catalog-model, the
golden-path template rendered by Copier and its generated project's lint and tests run against
a real Conveyor, the docs site built by MkDocs --strict, the cost-allocation labels of the chart
rendered by Helm.

They need the tools `make platform-tools` installs (MkDocs, Copier and check-jsonschema in
.cache/platform/venv; Node.js and scripts/platform/js/node_modules; helm from `make tools`), so a
plain ``pytest`` leaves them out; ``make platform-test`` (part of ``make test``) runs them with
CONVEYOR_PLATFORM_TESTS=1. A missing tool fails them: nothing here skips.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support import REPO, opt_in_collection

HERE = Path(__file__).resolve().parent
PLATFORM_BIN = REPO / ".cache" / "platform" / "venv" / "bin"
VALIDATOR = REPO / "scripts" / "platform" / "js" / "validate-catalog.mjs"

pytest_ignore_collect = opt_in_collection(HERE, "CONVEYOR_PLATFORM_TESTS")


def tool(name: str) -> str:
    """The path of a platform tool; fails (never skips) when `make platform-tools` has not run."""
    path = PLATFORM_BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name) if name == "node" else None
    assert found, f"{name} is missing: run `make platform-tools`"
    return found


def validator_installed() -> None:
    modules = REPO / "scripts" / "platform" / "js" / "node_modules" / "@backstage" / "catalog-model"
    assert modules.is_dir(), "@backstage/catalog-model is missing: run `make platform-tools`"
