"""The release notes a tag gets, and the deployment records the deploy workflow writes through
GitHub's deployments API (a loopback server standing in for api.github.com, which these
machines cannot reach)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.delivery.conftest import REPO_ROOT, git, run
from tests.support import Answer, Received, Recorder, recording_receiver


def test_release_notes_list_the_commits_since_the_previous_tag(git_repo: Path) -> None:
    for message, tag in [("first feature", "v0.1.0"), ("fix the retry", None), ("add schedules", "v0.2.0")]:
        (git_repo / "file").write_text(message)
        git(git_repo, "add", "file")
        git(git_repo, "commit", "--quiet", "-m", message)
        if tag:
            git(git_repo, "tag", tag)
    notes = git_repo.parent / "notes.md"
    changelog = REPO_ROOT / "scripts/delivery/changelog.py"
    result = run("python3", changelog, "--tag", "v0.2.0", "--output", notes, cwd=git_repo)
    assert result.returncode == 0, result.stderr
    text = notes.read_text()
    assert text.startswith("## Conveyor 0.2.0 (")
    assert "Changes since v0.1.0:" in text
    assert "- add schedules (" in text and "- fix the retry (" in text
    assert "first feature" not in text
    assert "ghcr.io/<owner>/conveyor:0.2.0" in text

    first = run("python3", changelog, "--tag", "v0.1.0", "--output", notes, cwd=git_repo)
    assert first.returncode == 0 and "First release." in notes.read_text()
    bad = run("python3", changelog, "--tag", "latest", "--output", notes, cwd=git_repo)
    assert (bad.returncode, bad.stderr.strip()) == (2, "changelog: tag 'latest' is not vMAJOR.MINOR.PATCH")


def github_answer(request: Received, _before: int) -> Answer:
    """What api.github.com answers: the new deployment's id (4242), or a status's."""
    answer = {"id": 4242} if request.path.endswith("/deployments") else {"id": 1}
    return 201, {"Content-Type": "application/json"}, json.dumps(answer).encode()


@pytest.fixture
def github() -> Iterator[Recorder]:
    with recording_receiver(github_answer) as recorder:
        yield recorder


def test_a_deploy_is_recorded_and_closed_with_its_outcome(github: Recorder) -> None:
    env = {
        "GITHUB_API_URL": github.url,
        "GITHUB_REPOSITORY": "example/conveyor",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "77",
        "GH_TOKEN": "test-token",
    }
    script = REPO_ROOT / "scripts/delivery/deployments.py"
    digest = "sha256:" + "c" * 64
    started = run(
        "python3", script, "start", "--environment", "prod", "--ref", "abc123", "--digest", digest, env=env
    )
    assert (started.returncode, started.stdout.strip()) == (0, "4242")
    finished = run("python3", script, "finish", "--id", "4242", "--outcome", "failure", env=env)
    assert finished.returncode == 0, finished.stderr

    log = "https://github.com/example/conveyor/actions/runs/77"
    requests = [(r.method, r.path, r.json(), r.headers["authorization"]) for r in github.received]
    assert requests == [
        ("POST", "/repos/example/conveyor/deployments", {
            "ref": "abc123", "environment": "prod", "auto_merge": False, "required_contexts": [],
            "production_environment": True, "payload": {"digest": digest},
            "description": f"conveyor@{digest}",
        }, "Bearer test-token"),
        ("POST", "/repos/example/conveyor/deployments/4242/statuses",
         {"state": "in_progress", "log_url": log}, "Bearer test-token"),
        ("POST", "/repos/example/conveyor/deployments/4242/statuses",
         {"state": "failure", "log_url": log}, "Bearer test-token"),
    ]  # fmt: skip

    no_token = run(
        "python3", script, "finish", "--id", "1", "--outcome", "success", env={**env, "GH_TOKEN": ""}
    )
    assert no_token.returncode == 1 and "GH_TOKEN (or GITHUB_TOKEN) is required" in no_token.stderr
