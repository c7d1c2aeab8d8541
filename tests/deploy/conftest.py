"""The deploy tests build the image and run containers: minutes, root, buildah and podman.

A plain ``pytest`` (``make unit``) leaves them out; ``make image-test`` (part of ``make test``)
runs them with CONVEYOR_DEPLOY_TESTS=1, and naming this directory on the command line runs
them too (``pytest tests/deploy``).
"""

from __future__ import annotations

from pathlib import Path

from tests.support import opt_in_collection

HERE = Path(__file__).resolve().parent


pytest_ignore_collect = opt_in_collection(HERE, "CONVEYOR_DEPLOY_TESTS")
