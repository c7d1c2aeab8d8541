"""The delivery tests run the security tools, a registry, cosign and pre-commit: they need
`make delivery-tools` (and root plus buildah/podman for the image steps). A plain ``pytest``
(``make unit``) leaves them out; ``make delivery-test`` (part of ``make test``) runs them with
CONVEYOR_DELIVERY_TESTS=1, and naming this directory on the command line runs them too. A
missing tool fails a test (never a skip): the suite is how CI knows the checks are real.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import opt_in_collection

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
FIXTURES = HERE / "fixtures"
GO_TOOLS = REPO_ROOT / ".cache/tools/bin"
PY_TOOLS = REPO_ROOT / ".cache/delivery/venv/bin"
SCRIPTS = REPO_ROOT / "scripts/delivery"

sys.path.insert(0, str(SCRIPTS))


pytest_ignore_collect = opt_in_collection(HERE, "CONVEYOR_DELIVERY_TESTS")


def tool(path: Path) -> Path:
    """A tool the tests need: missing is a failure with the command that installs it."""
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make delivery-tools`")
    return path


def run(
    *argv: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in argv],
        capture_output=True,
        text=True,
        cwd=cwd or REPO_ROOT,
        env={**os.environ, **(env or {})},
        check=False,
    )


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = run(
        "git", "-c", "user.name=Test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false",
        *args, cwd=repo, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "--quiet", "--initial-branch=main")
    return repo
