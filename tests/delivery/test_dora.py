"""scripts/delivery/dora.py on a repository whose commit times are known and GitHub-shaped
deployment records: every metric is checked against the value worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.delivery.conftest import REPO_ROOT, git, run

DORA = REPO_ROOT / "scripts/delivery/dora.py"


def commit(repo: Path, name: str, when: str) -> str:
    (repo / name).write_text(name)
    git(repo, "add", name)
    git(repo, "commit", "--quiet", "-m", name, env={"GIT_COMMITTER_DATE": when, "GIT_AUTHOR_DATE": when})
    return git(repo, "rev-parse", "HEAD")


def deployment(id_: int, sha: str, environment: str, *statuses: tuple[str, str]) -> dict[str, Any]:
    return {
        "id": id_,
        "sha": sha,
        "environment": environment,
        "created_at": statuses[0][1],
        "statuses": [{"state": state, "created_at": at} for state, at in statuses],
    }


def dora(repo: Path, records: object, *args: str) -> tuple[int, str, str]:
    path = repo.parent / "deployments.json"
    path.write_text(json.dumps(records))
    result = run(
        REPO_ROOT / ".venv/bin/python",
        DORA,
        "--repo",
        repo,
        "--deployments",
        path,
        "--now",
        "2026-12-01T00:00:00Z",
        *args,
    )
    return result.returncode, result.stdout, result.stderr


def test_the_four_metrics_from_history_and_records(git_repo: Path) -> None:
    c0 = commit(git_repo, "c0", "2026-09-30T00:00:00Z")
    commit(git_repo, "c1", "2026-11-10T08:00:00Z")
    c2 = commit(git_repo, "c2", "2026-11-10T10:00:00Z")
    c3 = commit(git_repo, "c3", "2026-11-11T09:00:00Z")
    c4 = commit(git_repo, "c4", "2026-11-11T11:00:00Z")
    records = [
        deployment(
            1, c0, "prod", ("in_progress", "2026-09-30T23:00:00Z"), ("success", "2026-10-01T00:00:00Z")
        ),
        deployment(
            2, c2, "prod", ("in_progress", "2026-11-10T11:30:00Z"), ("success", "2026-11-10T12:00:00Z")
        ),
        deployment(
            3, c3, "prod", ("in_progress", "2026-11-11T09:30:00Z"), ("failure", "2026-11-11T10:00:00Z")
        ),
        deployment(
            4, c4, "prod", ("in_progress", "2026-11-11T12:00:00Z"), ("success", "2026-11-11T13:00:00Z")
        ),
        deployment(5, c4, "dev", ("success", "2026-11-11T11:30:00Z")),  # another environment
        deployment(6, c4, "prod", ("in_progress", "2026-11-30T23:00:00Z")),  # not finished
    ]
    status, out, err = dora(git_repo, records, "--json")
    assert status == 0, err
    assert json.loads(out) == {
        "environment": "prod",
        "days": 30,
        "deployments": 3,  # #1 is before the window, #5 is dev, #6 has no outcome yet
        "successful": 2,
        "failed": 1,
        "deployment_frequency_per_day": round(2 / 30, 3),
        # #2 brought c1 (4 h) and c2 (2 h); #4 brought c3 (4 h) and c4 (2 h): median 3 h
        "lead_time_hours_median": 3.0,
        "change_failure_rate": round(1 / 3, 3),
        "time_to_restore_hours_median": 3.0,  # #3 failed at 10:00, #4 succeeded at 13:00
    }

    status, text, _ = dora(git_repo, records, "--environment", "dev")
    assert status == 0
    assert "1 deployments: 1 succeeded, 0 failed" in text
    assert "change failure rate    0.0%" in text


def test_no_deployments_reports_no_data(git_repo: Path) -> None:
    commit(git_repo, "c0", "2026-11-01T00:00:00Z")
    status, text, _ = dora(git_repo, [])
    assert status == 0
    assert "lead time for changes  n/a (no data in the window)" in text
    assert "change failure rate    n/a (no deployments)" in text


def test_bad_records_are_named(git_repo: Path) -> None:
    sha = commit(git_repo, "c0", "2026-11-01T00:00:00Z")
    status, _, err = dora(git_repo, [{"id": 7, "sha": sha, "statuses": [{"state": "success"}]}])
    assert status == 1
    assert "deployment record 7" in err and "created_at" in err
    status, _, err = dora(git_repo, {"deployments": []})
    assert status == 1 and "expected a JSON list of deployments" in err
    unknown = "0" * 40
    status, _, err = dora(git_repo, [deployment(8, unknown, "prod", ("success", "2026-11-20T00:00:00Z"))])
    assert status == 1 and f"git log {unknown}" in err
