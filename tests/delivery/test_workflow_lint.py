"""scripts/delivery/workflow_lint.py: each rule reports the file and line of the breach, and the
repository's own workflows have none."""

from __future__ import annotations

from pathlib import Path

import workflow_lint

from tests.delivery.conftest import FIXTURES, REPO_ROOT, run

WORKFLOW_FIXTURES = FIXTURES / "workflows"


def findings(name: str) -> list[str]:
    lint = workflow_lint.WorkflowLint(workflow_lint.make_targets(REPO_ROOT))
    path = WORKFLOW_FIXTURES / name
    return [str(f).removeprefix(f"{path}:") for f in sorted(lint.check(path))]


def test_unpinned_actions_are_reported_with_their_lines() -> None:
    assert findings("unpinned.yml") == [
        "12: pin: `actions/checkout@v4` is not pinned to a full commit SHA",
        "13: pin: `actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065` has no version comment"
        " (`# vX.Y.Z`)",
        "14: pin: `actions/cache@5a3ec84` is not pinned to a full commit SHA",
    ]


def test_missing_permissions_are_reported_for_the_workflow_and_the_job() -> None:
    assert findings("permissions.yml") == [
        "1: permissions: no top-level `permissions:`",
        "5: permissions: job `build` declares no `permissions:`",
    ]


def test_event_data_expanded_in_run_is_reported_at_its_line() -> None:
    assert findings("injection.yml") == [
        "15: injection: `${{ github.event.pull_request.title }}` expands inside `run:`;"
        " pass it through `env:`",
        "16: injection: `${{ github.head_ref }}` expands inside `run:`; pass it through `env:`",
    ]


def test_make_targets_a_workflow_calls_must_exist() -> None:
    assert findings("make-targets.yml") == [
        "14: make-target: `make no-such-target`: no such target",
        "15: make-target: `make deploy-everything`: no such target",
    ]


def test_a_workflow_without_a_concurrency_group_is_reported() -> None:
    assert findings("concurrency.yml") == ["1: concurrency: no top-level `concurrency:` group"]
    assert findings("reusable.yml") == []  # runs in its caller's group


def test_the_command_line_fails_with_file_and_line() -> None:
    result = run(REPO_ROOT / ".venv/bin/python", "scripts/delivery/workflow_lint.py", WORKFLOW_FIXTURES)
    assert result.returncode == 1
    assert f"{WORKFLOW_FIXTURES / 'injection.yml'}:15: injection:" in result.stdout
    assert f"{WORKFLOW_FIXTURES / 'unpinned.yml'}:12: pin:" in result.stdout


def test_the_repository_workflows_pass() -> None:
    result = run(REPO_ROOT / ".venv/bin/python", "scripts/delivery/workflow_lint.py", ".github/workflows")
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(list(Path(REPO_ROOT / ".github/workflows").glob("*.yml"))) >= 7
