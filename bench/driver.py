"""psycopg 3 vs asyncpg on Conveyor's own hot-path SQL (the measurement behind ADR 0200).

Same statements (read from src/conveyor/engine/sql/jobs.sql, placeholders rewritten to $n for
asyncpg), same database, one connection each, no pool, alternating rounds, best of N:

- enqueue:   the ``enqueue`` statement, 1,000 jobs per call (parallel arrays, jsonb[])
- claim+complete: ``claim`` 100 at a time, then ``complete`` for those 100 (the worker's loop)
- get_job:   ``get_job`` by id, one row per round trip (the API's most common read)

Reported per driver: operations per second and client CPU seconds per 1,000 jobs (the
client's share of a 2-core machine is what a worker can spend on jobs). Runs in bench/.venv:
``bench/.venv/bin/python bench/driver.py --url postgresql://...`` against a migrated database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SQL_FILE = ROOT / "src" / "conveyor" / "engine" / "sql" / "jobs.sql"


def load_queries() -> dict[str, str]:
    queries: dict[str, str] = {}
    name = None
    lines: list[str] = []
    for line in SQL_FILE.read_text().splitlines():
        if line.startswith("-- name:"):
            if name:
                queries[name] = "\n".join(lines).strip()
            name, lines = line.split(":", 1)[1].strip(), []
        elif not line.startswith("--"):
            lines.append(line)
    if name:
        queries[name] = "\n".join(lines).strip()
    return queries


# asyncpg prepares every statement and needs one type per parameter; psycopg sends typed
# values. An asyncpg port would add these casts where the SQL does not have one already.
CASTS = {
    "limit": "int",
    "lease_seconds": "float8",
    "queue": "text",
    "worker_id": "text",
    "id": "bigint",
    "notify": "boolean",
    "claimed": "int",
}


def to_dollar(query: str) -> tuple[str, list[str]]:
    """``%(name)s`` placeholders to ``$n`` (cast where needed); returns query and parameter order."""
    order: list[str] = []

    def sub(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in order:
            order.append(key)
        tail = match.group(2) or ""
        cast = "" if tail or key not in CASTS else f"::{CASTS[key]}"
        return f"${order.index(key) + 1}{cast}{tail}"

    return re.sub(r"%\((\w+)\)s(::)?", sub, query), order


def enqueue_params(n: int, jsonb: Any) -> dict[str, Any]:
    return {
        "queues": ["default"] * n,
        "types": ["noop"] * n,
        "payloads": [jsonb({})] * n,
        "priorities": [0] * n,
        "run_ats": [None] * n,
        "max_attempts": [5] * n,
        "timeouts": [300.0] * n,
        "keys": [None] * n,
        "schedule_ids": [None] * n,
        "scheduled_fors": [None] * n,
        "trace_contexts": [None] * n,
        "created_bys": [None] * n,
        "fingerprints": [None] * n,
        "notify": False,
    }


def claim_params() -> dict[str, Any]:
    return {"queue": "default", "limit": 100, "worker_id": "bench", "lease_seconds": 60.0}


def complete_params(rows: list[Any]) -> dict[str, Any]:
    n = len(rows)
    return {
        "ids": [r["id"] for r in rows],
        "attempts": [r["attempts"] for r in rows],
        "states": ["succeeded"] * n,
        "results": [None] * n,
        "errors": [None] * n,
        "retry_in": [0.0] * n,
        "worker_id": "bench",
    }


class Psycopg:
    name = "psycopg"

    async def open(self, url: str) -> None:
        import psycopg
        from psycopg.rows import dict_row
        from psycopg.types.json import Jsonb

        self.jsonb = Jsonb
        self.conn = await psycopg.AsyncConnection.connect(url, autocommit=True, row_factory=dict_row)

    async def fetch(self, query: str, params: dict[str, Any]) -> list[Any]:
        return await (await self.conn.execute(query, params)).fetchall()  # type: ignore[arg-type]

    async def close(self) -> None:
        await self.conn.close()


class Asyncpg:
    name = "asyncpg"

    async def open(self, url: str) -> None:
        import asyncpg

        self.jsonb = lambda value: value
        self.conn = await asyncpg.connect(url)
        await self.conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
        self.prepared: dict[str, tuple[str, list[str]]] = {}

    async def fetch(self, query: str, params: dict[str, Any]) -> list[Any]:
        if query not in self.prepared:
            self.prepared[query] = to_dollar(query)
        text, order = self.prepared[query]
        return await self.conn.fetch(text, *(params[k] for k in order))  # type: ignore[no-any-return]

    async def close(self) -> None:
        await self.conn.close()


async def one_round(driver: Any, queries: dict[str, str], jobs: int) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(jobs // 1000):
        await driver.fetch(queries["enqueue"], enqueue_params(1000, driver.jsonb))
    out["enqueue"] = _rates(jobs, wall, cpu)

    wall, cpu = time.perf_counter(), time.process_time()
    done = 0
    while done < jobs:
        rows = await driver.fetch(queries["claim"], claim_params())
        if not rows:
            break
        await driver.fetch(queries["complete"], complete_params(rows))
        done += len(rows)
    out["claim_complete"] = _rates(done, wall, cpu)

    reads = 5000
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(reads):
        await driver.fetch(queries["get_job"], {"id": 1 + i % jobs})
    out["get_job"] = _rates(reads, wall, cpu)
    return out


def _rates(n: int, wall: float, cpu: float) -> dict[str, float]:
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu
    return {"per_s": round(n / wall, 1), "client_cpu_s_per_1000": round(cpu / n * 1000, 4)}


async def compare(url: str, jobs: int, rounds: int) -> dict[str, Any]:
    import psycopg

    queries = load_queries()
    drivers = [Psycopg(), Asyncpg()]
    for d in drivers:
        await d.open(url)
    best: dict[str, dict[str, dict[str, float]]] = {d.name: {} for d in drivers}
    try:
        for _ in range(rounds + 1):  # the first round warms caches and is dropped
            for d in drivers:
                with psycopg.connect(url, autocommit=True) as admin:
                    admin.execute("TRUNCATE conveyor.jobs, conveyor.job_events RESTART IDENTITY")
                    admin.execute("VACUUM ANALYZE conveyor.jobs")
                result = await one_round(d, queries, jobs)
                if _ == 0:
                    continue
                for op, r in result.items():
                    if op not in best[d.name] or r["per_s"] > best[d.name][op]["per_s"]:
                        best[d.name][op] = r
    finally:
        for d in drivers:
            await d.close()
    versions = {"psycopg": psycopg.__version__, "asyncpg": __import__("asyncpg").__version__}
    return {"jobs": jobs, "rounds": rounds, "versions": versions, "results": best}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="a database migrated by `conveyor migrate`")
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(compare(args.url, args.jobs, args.rounds)), indent=2))


if __name__ == "__main__":
    main()
