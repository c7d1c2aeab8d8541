"""Running OpenTofu over infra/terraform's roots for the tests."""

from __future__ import annotations

import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
TERRAFORM = REPO / "infra" / "terraform"
TOOLS_BIN = REPO / ".cache" / "tools" / "bin"
TOFU = TOOLS_BIN / "tofu"
TOFU_RC = REPO / ".cache" / "terraform" / "tofurc"
TOOLS = ("tofu", "terraform-schema-provider", "terraform-docs", "tflint", "helm")

MODULES = sorted(p.name for p in (TERRAFORM / "modules").iterdir() if (p / "main.tf").is_file())
# Environments are the roots with their own terraform.tfvars (envs/common holds shared files).
ENVIRONMENTS = sorted(p.name for p in (TERRAFORM / "envs").iterdir() if (p / "terraform.tfvars").is_file())
ROOTS = [f"modules/{m}" for m in MODULES] + [f"envs/{e}" for e in ENVIRONMENTS]

SUMMARY = re.compile(r"^(?:Success|Failure)! (\d+) passed, (\d+) failed(?:, (\d+) skipped)?\.", re.M)
RUN_BLOCK = re.compile(r'^run "[^"]+"', re.M)


@dataclass
class Step:
    command: list[str]
    returncode: int
    output: str

    def describe(self) -> str:
        return f"$ {' '.join(self.command)}\n(exit {self.returncode})\n{self.output}"


@dataclass
class RootResult:
    root: str
    steps: dict[str, Step] = field(default_factory=dict)


def environment(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TF_CLI_CONFIG_FILE=str(TOFU_RC),
        TF_DATA_DIR=str(data_dir),
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        CHECKPOINT_DISABLE="1",
    )
    return env


def tofu(root: Path, env: dict[str, str], *args: str, timeout: float = 600) -> Step:
    command = [str(TOFU), f"-chdir={root}", *args, "-no-color"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    return Step(command, done.returncode, done.stdout + done.stderr)


def check_root(root: str, work: Path) -> RootResult:
    """init (lock file read-only for environments: it must match the mirror), validate, test."""
    path = TERRAFORM / root
    env = environment(work / root.replace("/", "-"))
    result = RootResult(root)
    init_args = ["init", "-backend=false", "-input=false"]
    # Environments commit their lock file: it must match the mirror. A module's is a local
    # by-product (git-ignored), rewritten from the mirror each time.
    init_args.append("-lockfile=readonly" if root.startswith("envs/") else "-upgrade")
    result.steps["init"] = tofu(path, env, *init_args)
    if result.steps["init"].returncode != 0:
        return result
    result.steps["validate"] = tofu(path, env, "validate")
    if (path / "tests").is_dir():
        result.steps["test"] = tofu(path, env, "test")
    return result


def check_all_roots(work: Path) -> dict[str, RootResult]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda root: check_root(root, work), ROOTS)
    return {r.root: r for r in results}


def run_blocks(root: str) -> int:
    """How many `run` blocks the root's test files hold: each must pass, none skip."""
    return sum(
        len(RUN_BLOCK.findall(f.read_text())) for f in (TERRAFORM / root / "tests").glob("*.tftest.hcl")
    )


def summary(output: str) -> tuple[int, int, int]:
    found = SUMMARY.search(output)
    if not found:
        raise AssertionError(f"no test summary in:\n{output}")
    return int(found[1]), int(found[2]), int(found[3] or 0)
