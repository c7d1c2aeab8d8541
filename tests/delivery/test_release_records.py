"""The release notes a tag gets, and the deployment records the deploy workflow writes through
GitHub's deployments API (a loopback server standing in for api.github.com, which these
machines cannot reach)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.delivery.conftest import REPO_ROOT, git, run


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


class FakeGitHub(HTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), GitHubHandler)
        self.requests: list[tuple[str, str, dict[str, Any], str]] = []


class GitHubHandler(BaseHTTPRequestHandler):
    server: FakeGitHub

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(("POST", self.path, body, self.headers["Authorization"]))
        answer = {"id": 4242} if self.path.endswith("/deployments") else {"id": 1}
        data = json.dumps(answer).encode()
        self.send_response(201)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    server = FakeGitHub()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    thread.join()


def test_a_deploy_is_recorded_and_closed_with_its_outcome(github: FakeGitHub) -> None:
    env = {
        "GITHUB_API_URL": f"http://127.0.0.1:{github.server_port}",
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
    assert github.requests == [
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
