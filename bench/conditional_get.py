"""Conditional GETs: what an ETag revalidation saves a client that polls one job.

Starts a throwaway Conveyor (scripts/local_stack.py), submits one http job with a typical
~4 KB payload (due in 2099, so it stays put), then times ``--requests`` sequential GETs of it as
the admin: plain, and revalidating with the ETag of the first answer (304, no body). Timed at the
client; bytes are the response body.

Run: ``.venv/bin/python bench/conditional_get.py [--requests 500]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from harness import write_report
from local_stack import running_stack


def timed(api: httpx.Client, path: str, requests: int, headers: dict[str, str]) -> dict[str, float]:
    times, sizes = [], []
    for _ in range(requests):
        started = time.perf_counter()
        response = api.get(path, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code in (200, 304), response.text
        sizes.append(len(response.content))
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[int(len(times) * 0.95) - 1], 2),
        "body_bytes": round(statistics.mean(sizes)),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    payload = {
        "url": "https://8.8.8.8/orders",
        "headers": {"X-Tenant": "acme"},
        "body": {"order": 42, "lines": [{"sku": f"SKU-{n:05d}", "qty": n % 7 + 1} for n in range(120)]},
    }
    with (
        running_stack(CONVEYOR_WORKER_QUEUES="none") as stack,
        httpx.Client(
            base_url=f"{stack.api}/api/v1", headers={"Authorization": f"Bearer {stack.admin_key}"}, timeout=30
        ) as api,
    ):
        job = api.post("/jobs", json={"type": "http", "payload": payload, "run_at": "2099-01-01T00:00:00Z"})
        job.raise_for_status()
        path = f"/jobs/{job.json()['id']}"
        tag = api.get(path).headers["etag"]
        results = {
            "plain GET (200)": timed(api, path, args.requests, {}),
            "If-None-Match (304)": timed(api, path, args.requests, {"If-None-Match": tag}),
        }
    out = write_report("conditional-get", {"requests": args.requests, "results": results})
    for name, r in results.items():
        print(f"| {name} | {r['p50_ms']} ms | {r['p95_ms']} ms | {r['body_bytes']} B |")
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
