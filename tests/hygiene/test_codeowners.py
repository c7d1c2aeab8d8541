"""CODEOWNERS as GitHub reads it: every tracked file has an owner, and no rule is stale (a rule
whose pattern matches no file protects nothing and hides a renamed path)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CODEOWNERS = REPO / ".github" / "CODEOWNERS"
# GitHub accepts @user, @org/team-name and an email address as an owner.
OWNER = re.compile(r"@[\w.-]+(/[\w.-]+)?|[^@\s]+@[^@\s]+\.[^@\s]+")
MATCHER = REPO / ".cache" / "tools" / "bin" / "codeowners"


def tracked_files() -> list[str]:
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True, text=True)
    return [name for name in listing.stdout.split("\0") if name]


def owners_of(files: list[str], rules_file: Path) -> dict[str, list[str]]:
    """File → owners, as the codeowners matcher (GitHub's last-match-wins semantics) reads them."""
    if not os.access(MATCHER, os.X_OK):
        pytest.fail(f"{MATCHER} is missing — run `make tools`", pytrace=False)
    result = subprocess.run(
        [str(MATCHER), "-f", str(rules_file), *files],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, f"codeowners refused {rules_file}: {result.stderr.strip()}"
    # One line per file, in the order given: the path as passed (it may hold spaces, as the
    # golden path's `{{ package_name }}` folders do), then the owners or "(unowned)".
    lines = result.stdout.splitlines()
    assert len(lines) == len(files), result.stdout
    owners: dict[str, list[str]] = {}
    for path, line in zip(files, lines, strict=True):
        assert line.startswith(path), f"codeowners answered {line!r} for {path!r}"
        owners[path] = [name for name in line[len(path) :].split() if name != "(unowned)"]
    return owners


def rules() -> list[str]:
    lines = CODEOWNERS.read_text().splitlines()
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]


def test_every_tracked_file_has_an_owner() -> None:
    owners = owners_of(tracked_files(), CODEOWNERS)
    unowned = sorted(path for path, names in owners.items() if not names)
    assert not unowned, f"files with no owner in {CODEOWNERS.name}: {unowned[:10]}"


@pytest.mark.parametrize("rule", rules(), ids=lambda rule: rule.split()[0])
def test_rule_matches_at_least_one_file(rule: str, tmp_path: Path) -> None:
    single = tmp_path / "CODEOWNERS"
    single.write_text(rule + "\n")
    owned = [path for path, names in owners_of(tracked_files(), single).items() if names]
    assert owned, f"stale CODEOWNERS rule (matches no tracked file): {rule!r}"


def test_a_stale_rule_is_detected(tmp_path: Path) -> None:
    # The check above can fail: a rule for a path that does not exist owns nothing.
    single = tmp_path / "CODEOWNERS"
    single.write_text("/no/such/folder/ @conveyor/nobody\n")
    owned = [path for path, names in owners_of(tracked_files(), single).items() if names]
    assert owned == []


def test_owners_are_github_teams_or_users() -> None:
    for rule in rules():
        pattern, *names = rule.split()
        assert names, f"rule without owners: {pattern}"
        for name in names:
            assert OWNER.fullmatch(name), f"{pattern}: owner {name!r} is no @user, @org/team or email"
