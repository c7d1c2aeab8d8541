"""Load scenarios held to the SLOs (run by load/run.py: `make load`; smoke in `make test`).

Each simulated client waits an exponential time (mean 1 s) between requests — N clients are
N independent callers — and mixes submits (POST /api/v1/jobs, 40 %) with reads (a job it
submitted, 40 %; a filtered list, 20 %). The scenario (LOAD_SCENARIO) picks the stages of users
from load/scenarios.json; when the run ends, the thresholds there (the SLOs) are checked and a
crossed one sets the exit code to 1, naming what crossed.

Environment: LOAD_SCENARIO, LOAD_API_KEY; LOAD_P95_MS / LOAD_ERROR_RATIO override the thresholds
(the tests use that to prove a crossed threshold fails the run).
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, LoadTestShape, events, task

SPEC = json.loads((Path(__file__).resolve().parent / "scenarios.json").read_text())
SCENARIO = os.environ.get("LOAD_SCENARIO", "smoke")
if SCENARIO not in SPEC["scenarios"]:
    raise SystemExit(f"LOAD_SCENARIO={SCENARIO!r} is not one of {sorted(SPEC['scenarios'])}")
STAGES: list[list[int]] = SPEC["scenarios"][SCENARIO]["stages"]
P95_MS = float(os.environ.get("LOAD_P95_MS", SPEC["thresholds"]["p95_ms"]))
ERROR_RATIO = float(os.environ.get("LOAD_ERROR_RATIO", SPEC["thresholds"]["error_ratio"]))
KEY = os.environ.get("LOAD_API_KEY", "")
READS = ("GET /api/v1/jobs/{id}", "GET /api/v1/jobs?filters")
SUBMITS = ("POST /api/v1/jobs",)


class Client(FastHttpUser):
    def wait_time(self) -> float:
        return random.expovariate(1.0)

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Bearer {KEY}"}
        self.mine: list[int] = []
        gevent.sleep(self.wait_time())  # clients spawned together do not fire together

    @task(40)
    def submit(self) -> None:
        body = {"type": "noop", "payload": {"n": random.randint(1, 10**6)}}  # noqa: S311
        with self.client.post(
            "/api/v1/jobs", json=body, headers=self.headers, name=SUBMITS[0], catch_response=True
        ) as response:
            if response.status_code == 201:
                self.mine = [*self.mine[-19:], response.json()["id"]]
                response.success()
            else:
                response.failure(f"status {response.status_code}")

    @task(40)
    def read(self) -> None:
        if self.mine:
            job_id = random.choice(self.mine)  # noqa: S311
            self.client.get(f"/api/v1/jobs/{job_id}", headers=self.headers, name=READS[0])

    @task(20)
    def list(self) -> None:
        self.client.get("/api/v1/jobs?state=succeeded&limit=20", headers=self.headers, name=READS[1])


class Stages(LoadTestShape):
    """The scenario's stages: [seconds, users] one after another, then stop."""

    def tick(self) -> tuple[int, float] | None:
        elapsed = self.get_run_time()  # type: ignore[no-untyped-call]
        for seconds, users in STAGES:
            if elapsed < seconds:
                return users, max(users, 1)
            elapsed -= seconds
        return None


def verdict(stats: Any) -> list[str]:
    """Every threshold the run crossed (empty: within the SLOs)."""
    crossed = []
    total = stats.total
    if total.num_requests == 0:
        return ["no requests were made: the load never reached the API"]
    ratio = total.num_failures / total.num_requests
    if ratio >= ERROR_RATIO:
        crossed.append(
            f"error ratio {ratio:.4%} >= {ERROR_RATIO:.2%} ({total.num_failures} of {total.num_requests})"
        )
    for group, names in (("reads", READS), ("submits", SUBMITS)):
        for name in names:
            entry = stats.entries.get((name, "GET" if name.startswith("GET") else "POST"))
            if entry is None or entry.num_requests == 0:
                crossed.append(f"{group}: no {name} requests measured")
                continue
            p95 = entry.get_response_time_percentile(0.95)
            if p95 >= P95_MS:
                crossed.append(f"{group}: {name} p95 {p95:.0f} ms >= {P95_MS:.0f} ms")
    return crossed


@events.quitting.add_listener  # type: ignore[untyped-decorator]
def check_thresholds(environment: Any, **_kwargs: Any) -> None:
    crossed = verdict(environment.stats)
    result = {
        "scenario": SCENARIO,
        "thresholds": {"p95_ms": P95_MS, "error_ratio": ERROR_RATIO},
        "crossed": crossed,
    }
    out = os.environ.get("LOAD_VERDICT_FILE")
    if out:
        Path(out).write_text(json.dumps(result))
    if crossed:
        print("load: THRESHOLDS CROSSED: " + "; ".join(crossed), flush=True)
        environment.process_exit_code = 1
    else:
        print(f"load: within the SLOs (p95 < {P95_MS:.0f} ms, errors < {ERROR_RATIO:.2%})", flush=True)
        environment.process_exit_code = 0
