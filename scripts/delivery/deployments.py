"""Deployment records through GitHub's deployments API: what the DORA metrics read.

    python scripts/delivery/deployments.py start --environment dev --ref SHA --digest sha256:...
        -> prints the deployment id (status in_progress)
    python scripts/delivery/deployments.py finish --id ID --outcome success|failure|cancelled

Reads GITHUB_API_URL, GITHUB_REPOSITORY, GH_TOKEN (or GITHUB_TOKEN), and GITHUB_SERVER_URL +
GITHUB_RUN_ID for the log link, as set on Actions runners. `dora.py` reads the same records
(``gh api repos/OWNER/REPO/deployments`` plus each one's statuses) as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from typing import Any

STATES = {"success": "success", "failure": "failure", "cancelled": "inactive"}


class GitHubError(Exception):
    pass


def api(method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    base = os.environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    token = os.environ.get("GH_TOKEN") or os.environ.get("GITHUB_TOKEN", "")
    if not token:
        raise GitHubError("GH_TOKEN (or GITHUB_TOKEN) is required")
    request = urllib.request.Request(  # noqa: S310 - GitHub's API URL from the runner
        f"{base}{path}",
        method=method,
        data=json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            answer: dict[str, Any] = json.loads(response.read() or b"{}")
            return answer
    except urllib.error.HTTPError as exc:
        raise GitHubError(f"{method} {path}: HTTP {exc.code} {exc.read()[:300]!r}") from exc


def repo() -> str:
    name = os.environ.get("GITHUB_REPOSITORY", "")
    if not name:
        raise GitHubError("GITHUB_REPOSITORY is required")
    return name


def log_url() -> str:
    server, run_id = os.environ.get("GITHUB_SERVER_URL", ""), os.environ.get("GITHUB_RUN_ID", "")
    return f"{server}/{repo()}/actions/runs/{run_id}" if server and run_id else ""


def start(environment: str, ref: str, digest: str) -> int:
    deployment = api(
        "POST",
        f"/repos/{repo()}/deployments",
        {
            "ref": ref,
            "environment": environment,
            "auto_merge": False,
            "required_contexts": [],
            "production_environment": environment == "prod",
            "payload": {"digest": digest},
            "description": f"conveyor@{digest}",
        },
    )
    deployment_id = int(deployment["id"])
    api(
        "POST",
        f"/repos/{repo()}/deployments/{deployment_id}/statuses",
        {"state": "in_progress", "log_url": log_url()},
    )
    return deployment_id


def finish(deployment_id: int, outcome: str) -> None:
    state = STATES.get(outcome, "error")
    api(
        "POST",
        f"/repos/{repo()}/deployments/{deployment_id}/statuses",
        {"state": state, "log_url": log_url()},
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    start_cmd = commands.add_parser("start")
    start_cmd.add_argument("--environment", required=True)
    start_cmd.add_argument("--ref", required=True)
    start_cmd.add_argument("--digest", required=True)
    finish_cmd = commands.add_parser("finish")
    finish_cmd.add_argument("--id", type=int, required=True)
    finish_cmd.add_argument("--outcome", required=True)
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            print(start(args.environment, args.ref, args.digest))
        else:
            finish(args.id, args.outcome)
    except GitHubError as exc:
        print(f"deployments: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
