"""The developer-experience tests: .devcontainer/ read by the Dev Containers reference CLI (with
podman as its container CLI) and its Dockerfile by hadolint; the console signed in and its pages
rendered against Prism's mock of docs/openapi.json (`make mock-api`).

They need the tools `make devex-tools` installs (scripts/devex/js/node_modules, exactly as its
package-lock.json pins them) and `make image-tools` (podman, hadolint), so a plain ``pytest``
leaves them out; ``make devex-checks`` (part of ``make test``) runs them with
CONVEYOR_DEVEX_TESTS=1. A missing tool fails them: nothing here skips.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support import REPO, opt_in_collection

HERE = Path(__file__).resolve().parent
JS_BIN = REPO / "scripts" / "devex" / "js" / "node_modules" / ".bin"
HADOLINT = REPO / ".cache" / "image" / "tools" / "bin" / "hadolint"

pytest_ignore_collect = opt_in_collection(HERE, "CONVEYOR_DEVEX_TESTS")


def js_tool(name: str) -> str:
    """A command from scripts/devex/js; fails (never skips) when `make devex-tools` has not run."""
    path = JS_BIN / name
    assert path.exists(), f"{name} is missing: run `make devex-tools`"
    return str(path)


def system_tool(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} is missing: run `make image-tools`"
    return found
