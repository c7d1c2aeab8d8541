"""Every module and environment: init from the mirror, validate, and its `tofu test` files."""

from __future__ import annotations

import pytest

from tests.terraform.support import ROOTS, TERRAFORM, RootResult, run_blocks, summary

# The first test to ask for `roots` waits for every root to be checked (a few minutes cold).
pytestmark = pytest.mark.timeout(1200)


@pytest.mark.parametrize("root", ROOTS)
def test_validates_with_the_providers_schemas(roots: dict[str, RootResult], root: str) -> None:
    result = roots[root]
    init = result.steps["init"]
    assert init.returncode == 0, init.describe()
    validate = result.steps["validate"]
    assert validate.returncode == 0 and "The configuration is valid" in validate.output, validate.describe()


@pytest.mark.parametrize("root", [r for r in ROOTS if (TERRAFORM / r / "tests").is_dir()])
def test_tofu_test_runs_all_pass(roots: dict[str, RootResult], root: str) -> None:
    result = roots[root]
    assert "test" in result.steps, result.steps["init"].describe()
    step = result.steps["test"]
    passed, failed, skipped = summary(step.output)
    expected = run_blocks(root)
    assert step.returncode == 0 and failed == 0 and skipped == 0, step.describe()
    assert passed == expected, f"{passed} of {expected} run blocks passed:\n{step.describe()}"


def test_every_module_and_environment_has_tests() -> None:
    untested = [r for r in ROOTS if r != "envs/bootstrap" and not (TERRAFORM / r / "tests").is_dir()]
    assert not untested, f"no tests/*.tftest.hcl in {untested}"
