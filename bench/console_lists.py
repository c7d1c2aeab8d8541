"""Console list pages with 100,000 jobs: latency percentiles of what a user clicks.

Starts a throwaway Conveyor (scripts/local_stack.py), adds ``--jobs`` jobs as the admin with the
``jobs_in_states`` factory (the engine's enqueue in batches of 1,000, the rows the API's batch
submission writes; due in 2099 so they stay put, spread over 10 queues and 3 types), signs in
to the console as a viewer, then times ``--requests`` sequential GETs of each page, measured at
the client (console → API → PostgreSQL and back, rendered HTML).

Run: ``.venv/bin/python bench/console_lists.py [--jobs 100000] [--requests 200]``.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from harness import write_report
from local_stack import PASSWORD, Stack, running_stack

from conveyor.engine.jobs import Jobs
from conveyor.engine.models import JobSpec
from conveyor.factories import blocking, jobs_in_states
from conveyor.store.users import user_by_email


def seed(stack: Stack, count: int) -> None:
    """The rows the admin's batch submissions would write (the API enqueues each batch of 1,000
    the same way), made by the ``jobs_in_states`` factory without the HTTP round trips."""
    due = datetime(2099, 1, 1, tzinfo=UTC)
    specs = [
        JobSpec(
            type=("echo", "noop", "sleep", "echo", "noop")[n % 5],
            queue=f"q{n % 10}",
            run_at=due,
            payload={"seconds": 1} if n % 5 == 2 else {"n": n},
        )
        for n in range(count)
    ]

    async def make(engine: Jobs) -> None:
        admin = await user_by_email(engine.pool, stack.users["admin"])
        assert admin is not None
        await jobs_in_states(engine, specs, created_by=admin["id"])

    blocking(stack.database_url, make)


def sign_in(http: httpx.Client, email: str) -> None:
    form = http.get("/sign-in").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token
    response = http.post(
        "/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert response.status_code == 303, response.text


def measure(http: httpx.Client, path: str, requests: int) -> dict[str, float]:
    http.get(path).raise_for_status()  # warm
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        http.get(path).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
        "max_ms": round(times[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with running_stack(CONVEYOR_COOKIE_SECURE="false", CONVEYOR_WORKER_QUEUES="none") as stack:
        started = time.perf_counter()
        seed(stack, args.jobs)
        print(f"seeded {args.jobs} jobs in {time.perf_counter() - started:.0f}s", file=sys.stderr)
        with httpx.Client(base_url=stack.console, timeout=60, follow_redirects=False) as http:
            sign_in(http, stack.users["viewer"])
            first = http.get("/jobs").text
            cursor = re.search(r'href="\?([^"]*cursor=[^"]+)" rel="next"', first)
            assert cursor
            pages = {
                "jobs, first page": "/jobs",
                "jobs, second page (cursor)": "/jobs?" + cursor.group(1).replace("&amp;", "&"),
                "jobs, state=scheduled": "/jobs?state=scheduled",
                "jobs, queue=q3&type=echo": "/jobs?queue=q3&type=echo",
                "jobs, state=dead (none)": "/jobs?state=dead",
                "dead letter": "/dead-letter",
                "queues": "/queues",
                "overview": "/",
            }
            results: dict[str, Any] = {
                name: measure(http, path, args.requests) for name, path in pages.items()
            }
    out = write_report(
        "console-lists", {"jobs": args.jobs, "requests_per_page": args.requests, "pages": results}
    )
    print("| page | p50 | p95 | max |\n|---|--:|--:|--:|")
    for name, r in results.items():
        print(f"| {name} | {r['p50_ms']} ms | {r['p95_ms']} ms | {r['max_ms']} ms |")
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
