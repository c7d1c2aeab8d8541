"""The Terraform tests: every module and environment of infra/terraform checked by OpenTofu with
the providers' schemas from the local mirror (make terraform-providers), plus tflint,
terraform-docs and Helm for the module's own chart.

They need the tools `make tools` builds and the mirror, so a plain ``pytest`` leaves them out;
``make terraform-checks`` (part of ``make test``) runs them with CONVEYOR_TERRAFORM_TESTS=1, and
naming this directory on the command line runs them too. A missing tool fails them.
"""

from __future__ import annotations

import os

import pytest

from tests.support import opt_in_collection
from tests.terraform.support import HERE, TOFU_RC, TOOLS, TOOLS_BIN, RootResult, check_all_roots

pytest_ignore_collect = opt_in_collection(HERE, "CONVEYOR_TERRAFORM_TESTS")


@pytest.fixture(scope="session", autouse=True)
def tools_built() -> None:
    missing = [name for name in TOOLS if not os.access(TOOLS_BIN / name, os.X_OK)]
    if missing:
        pytest.fail(f"missing in {TOOLS_BIN}: {', '.join(missing)} — run `make tools`", pytrace=False)
    if not TOFU_RC.is_file():
        pytest.fail(f"{TOFU_RC} is missing — run `make terraform-providers`", pytrace=False)


@pytest.fixture(scope="session")
def roots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, RootResult]:
    """init, validate and `tofu test` of every root, two at a time (the machine's two cores)."""
    return check_all_roots(tmp_path_factory.mktemp("tofu"))
