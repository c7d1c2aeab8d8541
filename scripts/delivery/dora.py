"""The four DORA metrics from the git history and the deployment records (ADR 0603).

    python scripts/delivery/dora.py --repo . --deployments deployments.json \
        [--environment prod] [--days 30] [--now 2026-12-01T00:00:00Z] [--json]

``deployments.json`` is what GitHub's deployments API returns (``gh api
repos/OWNER/REPO/deployments``: ``id``, ``sha``, ``environment``, ``created_at``), each entry
with a ``statuses`` list (``gh api .../deployments/ID/statuses``: ``state``, ``created_at``)
added; deploy-environment.yml writes those records. A deployment's outcome is its latest final
status (success, failure or error); one still in progress is left out.

- deployment frequency: successful deployments per day over the window;
- lead time for changes: for each successful deployment, from each commit it brought (those
  reachable from its commit and not from the previous successful deployment's) to the
  deployment's success; the median over all such commits;
- change failure rate: failed deployments / finished deployments;
- time to restore: from a failed deployment to the next successful one in that environment;
  the median.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

FINAL = {"success", "failure", "error"}


class RecordError(Exception):
    pass


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


@dataclass(frozen=True)
class Deployment:
    id: int
    sha: str
    environment: str
    outcome: str  # success | failure | error
    finished: datetime

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Deployment | None:
        """The deployment with its final outcome, or None while it has none."""
        try:
            statuses = [s for s in record.get("statuses", []) if s["state"] in FINAL]
            if not statuses:
                return None
            last = max(statuses, key=lambda s: parse_time(s["created_at"]))
            return cls(
                int(record["id"]),
                record["sha"],
                record["environment"],
                last["state"],
                parse_time(last["created_at"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RecordError(
                f"deployment record {record.get('id', '?')}: {exc!r} is missing or malformed"
            ) from exc


@dataclass(frozen=True)
class Metrics:
    environment: str
    days: int
    deployments: int
    successful: int
    failed: int
    deployment_frequency_per_day: float
    lead_time_hours_median: float | None
    change_failure_rate: float | None
    time_to_restore_hours_median: float | None


def commit_times(repo: Path, sha: str, since_sha: str | None) -> list[datetime]:
    """Committer times of the commits ``sha`` brings that ``since_sha`` did not have."""
    revisions = [sha] if since_sha is None else [f"{since_sha}..{sha}"]
    result = subprocess.run(
        ["git", "-C", str(repo), "log", "--format=%cI", *revisions],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RecordError(f"git log {' '.join(revisions)}: {result.stderr.strip()}")
    return [parse_time(line) for line in result.stdout.split()]


def hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def compute(repo: Path, records: list[dict[str, Any]], environment: str, days: int, now: datetime) -> Metrics:
    start = now - timedelta(days=days)
    every = [d for r in records if (d := Deployment.from_record(r)) and d.environment == environment]
    every.sort(key=lambda d: d.finished)
    window = [d for d in every if start <= d.finished <= now]
    successes = [d for d in window if d.outcome == "success"]
    failures = [d for d in window if d.outcome != "success"]

    lead_times: list[float] = []
    for deployment in successes:
        before = [d for d in every if d.outcome == "success" and d.finished < deployment.finished]
        previous = before[-1].sha if before else None
        lead_times += [hours(deployment.finished - t) for t in commit_times(repo, deployment.sha, previous)]

    restores: list[float] = []
    for failure in failures:
        recovered = next((d for d in every if d.outcome == "success" and d.finished > failure.finished), None)
        if recovered is not None:
            restores.append(hours(recovered.finished - failure.finished))

    return Metrics(
        environment=environment,
        days=days,
        deployments=len(window),
        successful=len(successes),
        failed=len(failures),
        deployment_frequency_per_day=round(len(successes) / days, 3),
        lead_time_hours_median=round(statistics.median(lead_times), 2) if lead_times else None,
        change_failure_rate=round(len(failures) / len(window), 3) if window else None,
        time_to_restore_hours_median=round(statistics.median(restores), 2) if restores else None,
    )


def report(metrics: Metrics) -> str:
    def show(value: float | None, unit: str) -> str:
        return "n/a (no data in the window)" if value is None else f"{value} {unit}"

    rate = metrics.change_failure_rate
    return "\n".join(
        [
            f"DORA metrics for {metrics.environment}, last {metrics.days} days "
            f"({metrics.deployments} deployments: {metrics.successful} succeeded, {metrics.failed} failed)",
            f"  deployment frequency   {metrics.deployment_frequency_per_day} per day",
            f"  lead time for changes  {show(metrics.lead_time_hours_median, 'h (median)')}",
            f"  change failure rate    {'n/a (no deployments)' if rate is None else f'{rate:.1%}'}",
            f"  time to restore        {show(metrics.time_to_restore_hours_median, 'h (median)')}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repo", type=Path, default=Path.cwd())
    parser.add_argument("--deployments", type=Path, required=True)
    parser.add_argument("--environment", default="prod")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--now", type=parse_time, default=None, help="end of the window (default: now)")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    args = parser.parse_args(argv)
    if args.days <= 0:
        print("dora: --days must be positive", file=sys.stderr)
        return 2
    try:
        records = json.loads(args.deployments.read_text())
        if not isinstance(records, list):
            raise RecordError(f"{args.deployments}: expected a JSON list of deployments")
        metrics = compute(args.repo, records, args.environment, args.days, args.now or datetime.now(UTC))
    except (OSError, json.JSONDecodeError, RecordError) as exc:
        print(f"dora: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(asdict(metrics), indent=2) if args.json else report(metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main())
