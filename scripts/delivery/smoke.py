"""Post-deploy smoke test: the deployment answers, and a job submitted through it runs.

    CONVEYOR_SMOKE_URL=https://conveyor.example CONVEYOR_SMOKE_API_KEY=... python scripts/delivery/smoke.py

1. ``GET /readyz`` answers 200 (within ``--timeout``: a rollout may still be settling);
2. an ``echo`` job submitted through the API reaches ``succeeded`` (a worker ran it).
Exits 1 naming the step that failed: deploy-environment.yml then rolls back.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid

import httpx

from conveyor.client import ApiError, Client
from conveyor.engine.models import FINAL_STATES, JobState


class SmokeFailed(Exception):
    pass


def wait_ready(url: str, deadline: float) -> None:
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"{url}/readyz", timeout=5)
            if response.status_code == 200:
                return
            last = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            last = str(exc) or type(exc).__name__
        time.sleep(1)  # polling a deployment that is rolling out: the deadline bounds it
    raise SmokeFailed(f"{url}/readyz not ready: {last}")


def run_job(url: str, api_key: str, deadline: float) -> int:
    marker = uuid.uuid4().hex
    with Client(url, api_key, timeout=10) as client:
        job = client.submit({"type": "echo", "payload": {"smoke": marker}, "queue": "default"})
        while time.monotonic() < deadline:
            job = client.get_job(job.id)
            if job.state in FINAL_STATES:
                break
            time.sleep(0.5)  # waiting for a worker: the deadline bounds it
    if job.state not in FINAL_STATES:
        raise SmokeFailed(f"job {job.id} still {job.state.value} at the deadline: no worker ran it")
    if job.state != JobState.succeeded:
        raise SmokeFailed(f"job {job.id} ended {job.state.value}, not succeeded")
    if job.result != {"smoke": marker}:
        raise SmokeFailed(f"job {job.id} returned {job.result!r}, not the payload it was given")
    return job.id


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default=os.environ.get("CONVEYOR_SMOKE_URL", ""))
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds for the whole test")
    args = parser.parse_args(argv)
    api_key = os.environ.get("CONVEYOR_SMOKE_API_KEY", "")
    if not args.url or not api_key:
        print("smoke: CONVEYOR_SMOKE_URL and CONVEYOR_SMOKE_API_KEY are required", file=sys.stderr)
        return 2
    url = args.url.rstrip("/")
    deadline = time.monotonic() + args.timeout
    try:
        wait_ready(url, deadline)
        job_id = run_job(url, api_key, deadline)
    except (SmokeFailed, ApiError, httpx.HTTPError) as exc:
        print(f"smoke: FAILED: {exc}", file=sys.stderr)
        return 1
    print(f"smoke: {url} ready; job {job_id} succeeded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
