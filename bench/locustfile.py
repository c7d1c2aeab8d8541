"""The API load test: a realistic mix against ``conveyor api`` (run headless by bench/run.py).

Each simulated client waits an exponentially distributed time (mean 1 s) between requests,
so N clients are N independent Poisson sources: N requests per second in total, arriving
the way independent callers do. (``constant_throughput(1)`` keeps every client on the phase
it was created at, so clients spawned together fire together: bursts of N every second,
which measured the burst, not the API.) The mix, by weight:

- 30  submit one job         POST /api/v1/jobs
- 50  read a job back        GET  /api/v1/jobs/{id} (one this client submitted, else a seeded one)
- 19  list with filters      GET  /api/v1/jobs?state=&queue=&type=&limit=
-  1  analytics              GET  /api/v1/analytics (the last 15 minutes in one-minute buckets:
                             a dashboard polling it, far rarer than the job traffic it reports on)

Environment: BENCH_API_KEY (a bearer key), BENCH_SEED_MAX_ID (ids 1..n exist).
"""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime, timedelta

import gevent
from locust import FastHttpUser, task

KEY = os.environ.get("BENCH_API_KEY", "")
SEED_MAX_ID = int(os.environ.get("BENCH_SEED_MAX_ID", "1"))
LISTS = [
    "/api/v1/jobs?state=succeeded&limit=20",
    "/api/v1/jobs?queue=default&type=noop&limit=50",
    "/api/v1/jobs?state=queued&queue=default&limit=20",
    "/api/v1/jobs?type=noop&limit=20",
]


class Client(FastHttpUser):
    def wait_time(self) -> float:
        return random.expovariate(1.0)

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Bearer {KEY}"}
        self.mine: list[int] = []
        # The first request too: all clients start at once, and their first requests must not
        # arrive as one burst either.
        gevent.sleep(self.wait_time())

    @task(30)
    def submit(self) -> None:
        body = {"type": "noop", "payload": {"order": random.randint(1, 10**6)}}  # noqa: S311
        with self.client.post(
            "/api/v1/jobs", json=body, headers=self.headers, name="POST /api/v1/jobs", catch_response=True
        ) as response:
            if response.status_code == 201 or response.status_code == 200:
                self.mine = [*self.mine[-19:], response.json()["id"]]
                response.success()
            else:
                response.failure(f"status {response.status_code}")

    @task(50)
    def get(self) -> None:
        job_id = random.choice(self.mine) if self.mine else random.randint(1, SEED_MAX_ID)  # noqa: S311
        self.client.get(f"/api/v1/jobs/{job_id}", headers=self.headers, name="GET /api/v1/jobs/{id}")

    @task(19)
    def list(self) -> None:
        self.client.get(random.choice(LISTS), headers=self.headers, name="GET /api/v1/jobs?filters")  # noqa: S311

    @task(1)
    def analytics(self) -> None:
        since = (datetime.now(UTC) - timedelta(minutes=15)).isoformat()
        self.client.get(
            "/api/v1/analytics",
            params={"since": since, "bucket_seconds": 60},
            headers=self.headers,
            name="GET /api/v1/analytics",
        )
