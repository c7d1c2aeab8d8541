"""Analytics over a window: outcomes, rates, latency percentiles and a throughput series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from conveyor.engine.jobs import Jobs
from conveyor.engine.models import JobSpec
from tests.integration.test_api import assert_problem
from tests.support import Process, eventually


async def test_analytics_breaks_down_outcomes_and_latency(
    jobs: Jobs, start_worker: Any, api_server: Process, admin_key: str
) -> None:
    await jobs.enqueue(
        [JobSpec(type="echo")] * 4 + [JobSpec(type="fail", payload={"times": 5}, max_attempts=2)]
    )
    start_worker()

    async def all_final() -> bool:
        return all(j.state in ("succeeded", "dead") for j in await jobs.page())

    await eventually(all_final, what="jobs to finish")
    async with httpx.AsyncClient(
        base_url=f"{api_server.base_url}/api/v1", headers={"Authorization": f"Bearer {admin_key}"}
    ) as http:
        body = (await http.get("/analytics")).json()
        by_type = {row["type"]: row for row in body["breakdown"]}
        echo, fail = by_type["echo"], by_type["fail"]
        assert (echo["enqueued"], echo["succeeded"], echo["dead"], echo["success_rate"]) == (4, 4, 0, 1.0)
        assert (fail["started"], fail["retried"], fail["dead"], fail["success_rate"]) == (2, 1, 1, 0.0)
        assert echo["queue_wait_seconds"]["p50"] is not None and echo["run_seconds"]["p99"] is not None
        assert echo["queue_wait_seconds"]["p50"] <= echo["queue_wait_seconds"]["p99"]
        assert sum(b["succeeded"] for b in body["series"]) == 4
        assert sum(b["dead"] for b in body["series"]) == 1

        only_fail = (await http.get("/analytics", params={"type": "fail"})).json()
        assert [row["type"] for row in only_fail["breakdown"]] == ["fail"]
        future = datetime.now(UTC) + timedelta(days=1)
        empty = (
            await http.get(
                "/analytics",
                params={"since": future.isoformat(), "until": (future + timedelta(hours=1)).isoformat()},
            )
        ).json()
        assert empty["breakdown"] == [] and empty["series"] == []
        assert_problem(await http.get("/analytics", params={"since": "2020-01-01T00:00:00Z"}), 422, "since")
        assert_problem(await http.get("/analytics", params={"bucket_seconds": 1}), 422, "bucket_seconds")


def test_extreme_windows_are_refused_not_crashed(api_server: Process, admin_key: str) -> None:
    headers = {"Authorization": f"Bearer {admin_key}"}
    url = f"{api_server.base_url}/api/v1/analytics"
    assert_problem(httpx.get(url, params={"until": "0001-01-01T00:30:00Z"}, headers=headers), 422, "until")
    late = httpx.get(
        url, params={"since": "9999-12-31T00:00:00Z", "until": "9999-12-31T12:00:00Z"}, headers=headers
    )
    assert late.status_code == 200 and late.json()["breakdown"] == []
