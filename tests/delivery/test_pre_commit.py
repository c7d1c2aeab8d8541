"""pre-commit: every hook passes on the repository, and an installed hook refuses a commit
that breaks one (offline: all hooks are `repo: local` on the project's tools)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tests.delivery.conftest import GO_TOOLS, PY_TOOLS, REPO_ROOT, git, run, tool

IMAGE_TOOLS = REPO_ROOT / ".cache/image/tools/bin"


def tools_path() -> dict[str, str]:
    """The PATH `make pre-commit` gives the hooks."""
    dirs = [REPO_ROOT / ".venv/bin", GO_TOOLS, PY_TOOLS, IMAGE_TOOLS]
    return {"PATH": os.pathsep.join([*(str(d) for d in dirs), os.environ["PATH"]])}


def test_every_hook_passes_on_the_repository() -> None:
    result = run("make", "--no-print-directory", "pre-commit")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    for hook in ("ruff", "mypy", "actionlint", "hadolint", "shellcheck", "gitleaks", "trailing whitespace"):
        assert any(
            line.startswith(hook) and line.endswith("Passed") for line in result.stdout.splitlines()
        ), hook


def test_an_installed_hook_refuses_a_bad_commit(git_repo: Path) -> None:
    pre_commit = tool(PY_TOOLS / "pre-commit")
    shutil.copy(REPO_ROOT / ".pre-commit-config.yaml", git_repo)
    shutil.copy(REPO_ROOT / ".gitleaks.toml", git_repo)
    (git_repo / "deploy.sh").write_text("#!/usr/bin/env bash\nrm -rf $TARGET/build\n")  # unquoted: SC2086
    (git_repo / "notes.txt").write_text("trailing space \n")
    env = {**tools_path(), "PRE_COMMIT_HOME": str(git_repo.parent / "pre-commit-home")}
    installed = run(pre_commit, "install", cwd=git_repo, env=env)
    assert installed.returncode == 0, installed.stderr

    git(git_repo, "add", ".")
    commit = run(
        "git",
        "-c",
        "user.name=T",
        "-c",
        "user.email=t@example.invalid",
        "commit",
        "-m",
        "bad",
        cwd=git_repo,
        env=env,
    )
    assert commit.returncode != 0
    hooks_said = commit.stdout + commit.stderr  # git passes the hook's output on stderr
    assert "shellcheck" in hooks_said and "SC2086" in hooks_said
    assert "Fixing notes.txt" in hooks_said  # trailing-whitespace fixed the file and failed the commit
    assert run("git", "rev-parse", "--verify", "HEAD", cwd=git_repo).returncode != 0  # nothing committed

    (git_repo / "deploy.sh").write_text('#!/usr/bin/env bash\nrm -rf "$TARGET/build"\n')
    git(git_repo, "add", ".")
    fixed = run(
        "git",
        "-c",
        "user.name=T",
        "-c",
        "user.email=t@example.invalid",
        "commit",
        "-m",
        "good",
        cwd=git_repo,
        env=env,
    )
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
