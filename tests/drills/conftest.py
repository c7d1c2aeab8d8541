"""The reliability drills: Debian's PostgreSQL with pgBackRest, replicas, Chaos Toolkit
experiments and Locust runs against real Conveyor processes.

A plain ``pytest`` leaves them out; ``make drills-checks`` (part of ``make test``) installs the
Debian packages and runs them with CONVEYOR_DRILLS_TESTS=1; naming this directory on the command
line runs them too. A missing tool fails a test, never skips it.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from scripts.dr.postgres import DrillError, make_workdir, require_binaries

from tests.support import opt_in_collection

HERE = Path(__file__).resolve().parent

pytest_ignore_collect = opt_in_collection(HERE, "CONVEYOR_DRILLS_TESTS")


@pytest.fixture
def drill_dir() -> Iterator[Path]:
    """A work directory the postgres server user can enter (pytest's own basetemp is root's,
    mode 0700); removed afterwards."""
    try:
        require_binaries()
    except DrillError as exc:
        pytest.fail(str(exc))
    path = make_workdir(Path(tempfile.mkdtemp(prefix="conveyor-drill-test-")))
    yield path
    shutil.rmtree(path, ignore_errors=True)
