"""The deploy tests build the image and run containers: minutes, root, buildah and podman.

A plain ``pytest`` (``make unit``) leaves them out; ``make image-test`` (part of ``make test``)
runs them with CONVEYOR_DEPLOY_TESTS=1, and naming this directory on the command line runs
them too (``pytest tests/deploy``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


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
    if os.environ.get("CONVEYOR_DEPLOY_TESTS") == "1" or _named_on_command_line(config):
        return None
    return True
