"""Turn a results file into docs/benchmarks.md and its charts (docs/benchmarks/*.png).

    bench/.venv/bin/python bench/report.py [bench/results/<date>.json]

Without an argument, the newest bench/results/<date>.json. The prose that does not depend on
the numbers (method, why Conveyor behaves as it does) lives in bench/notes.md and is copied in.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DOC = ROOT / "docs" / "benchmarks.md"
CHARTS = ROOT / "docs" / "benchmarks"
NOTES = BENCH / "notes.md"

TARGETS = {
    "burn_down": 2000.0,
    "burn_down_stretch": 5000.0,
    "pickup_p50_ms": 20.0,
    "pickup_p99_ms": 100.0,
    "api_rate": 500,
    "api_p95_ms": 200.0,
}


def fmt(value: Any, digits: int = 0, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float | int):
        text = f"{value:,.{digits}f}"
        return f"{text}{unit}"
    return str(value)


def ok(flag: bool) -> str:
    return "**yes**" if flag else "**no**"


def _label(results: dict[str, Any], name: str) -> str:
    label: str = results["systems"].get(name, {}).get("label", name)
    return label


def _valid(section: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in section.items() if isinstance(v, dict) and "error" not in v}


# -- charts -------------------------------------------------------------------------------------


def charts(results: dict[str, Any]) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    CHARTS.mkdir(parents=True, exist_ok=True)
    made: dict[str, str] = {}
    burn = _valid(results.get("burn_down", {}))
    steady = _valid(results.get("steady_state", {}))
    conveyor_colour, peer_colour = "#1f77b4", "#9aa5b1"

    if burn:
        names = sorted(burn, key=lambda n: burn[n]["jobs_per_s"])
        fig, ax = plt.subplots(figsize=(8, 0.55 * len(names) + 1.5))
        y = range(len(names))
        ax.barh(
            [i + 0.2 for i in y],
            [burn[n]["jobs_per_s"] for n in names],
            height=0.4,
            label="burn-down (20,000 pre-enqueued)",
            color=[conveyor_colour if n.startswith("conveyor") else peer_colour for n in names],
        )
        ax.barh(
            [i - 0.2 for i in y],
            [steady.get(n, {}).get("sustained_rate", 0) for n in names],
            height=0.4,
            label="steady state (sustained 30 s)",
            color=[("#6baed6" if n.startswith("conveyor") else "#d0d5db") for n in names],
        )
        ax.set_yticks(list(y), [_label(results, n) for n in names])
        ax.set_xlabel("jobs per second (higher is better)")
        ax.set_title("No-op job throughput, 2 worker processes x 50 slots, durable PostgreSQL")
        ax.axvline(TARGETS["burn_down"], color="#d62728", linestyle="--", linewidth=1, label="target 2,000/s")
        ax.legend(loc="lower right", fontsize=8)
        fig.tight_layout()
        fig.savefig(CHARTS / "throughput.png", dpi=110)
        plt.close(fig)
        made["throughput"] = "benchmarks/throughput.png"

    latency = {n: s for n, s in steady.items() if s.get("latency_ms")}
    if latency:
        names = sorted(latency, key=lambda n: latency[n]["latency_ms"]["p50"] or 0)
        fig, ax = plt.subplots(figsize=(8, 4.5))
        width = 0.27
        for i, (p, colour) in enumerate((("p50", "#2ca02c"), ("p95", "#ff7f0e"), ("p99", "#d62728"))):
            ax.bar(
                [x + (i - 1) * width for x in range(len(names))],
                [latency[n]["latency_ms"][p] or 0 for n in names],
                width=width,
                label=p,
                color=colour,
            )
        ax.set_xticks(range(len(names)), [_label(results, n) for n in names], rotation=20, ha="right")
        ax.set_yscale("log")
        ax.set_ylabel("pickup latency, ms (log scale, lower is better)")
        ax.set_title("Pickup latency (became due -> started) at half the sustained rate")
        ax.axhline(TARGETS["pickup_p50_ms"], color="#2ca02c", linestyle=":", linewidth=1)
        ax.axhline(TARGETS["pickup_p99_ms"], color="#d62728", linestyle=":", linewidth=1)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(CHARTS / "latency.png", dpi=110)
        plt.close(fig)
        made["latency"] = "benchmarks/latency.png"

    load = results.get("api_load", {})
    steps = load.get("steps", []) if isinstance(load, dict) else []
    if steps:
        fig, ax = plt.subplots(figsize=(8, 4.5))
        offered = [s["offered_rate"] for s in steps]
        for p, colour in (("p50_ms", "#2ca02c"), ("p95_ms", "#ff7f0e"), ("p99_ms", "#d62728")):
            ax.plot(
                offered,
                [s["endpoints"].get("all", {}).get(p) for s in steps],
                marker="o",
                label=p.replace("_ms", ""),
                color=colour,
            )
        ax.axhline(TARGETS["api_p95_ms"], color="#555", linestyle="--", linewidth=1, label="200 ms")
        ax.set_xlabel("offered request rate (req/s)")
        ax.set_ylabel("response time, ms (all endpoints)")
        ax.set_yscale("log")
        ax.set_title("HTTP API under load (Locust mix: submit, get, list with filters, analytics)")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(CHARTS / "api.png", dpi=110)
        plt.close(fig)
        made["api"] = "benchmarks/api.png"
    return made


# -- the document -------------------------------------------------------------------------------


def render(path: Path) -> Path:
    results = json.loads(path.read_text())
    images = charts(results)
    meta = results["meta"]
    out: list[str] = []
    w = out.append
    rel = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    load_start = meta.get("load_average_start", [0, 0, 0])
    # The 1-minute load at the start includes `make bench`'s own first step (the console pages).
    quiet = load_start[0] < (meta.get("cores") or 1)
    niced = nice_share(meta)

    w("# Benchmarks\n")
    w(
        f"Generated by `make bench` from [`{rel}`](../{rel}) on {meta['date'][:10]}"
        f" (run took {meta['duration_seconds'] / 60:.1f} min). Numbers are never asserted in tests.\n"
    )
    w(
        f"Machine: {meta['cpu']}, {meta['cores']} cores, {fmt(meta.get('memory_gib'), 0)} GiB, Linux"
        f" {meta['kernel']}, Python {meta['python']}. Load average at the start"
        f" {', '.join(str(x) for x in load_start)}, at the end"
        f" {', '.join(str(x) for x in meta.get('load_average_end', []))}: "
        + (
            "no other work shared the machine."
            if quiet
            else (
                f"other processes ran at the lowest priority (nice 19) and took {niced:.0%} of the"
                " machine's busy CPU time, mostly while the benchmark's own processes waited."
                if niced is not None and niced > 0.02
                else "**the machine was not quiet** (another job shared its two cores), so absolute"
                " numbers are low and noisy; the comparison is still one run on the same machine."
            )
        )
        + "\n"
    )

    w(summary(results))
    w(setup(results))
    w(burn_down(results, images))
    w(steady_state(results, images))
    w(api_end_to_end(results))
    w(api_load(results, images))
    w(retention(results))
    w(driver(results))
    w(console_lists())
    w(conditional_get())
    w(analytics_cache())
    w(losses(results))
    if NOTES.exists():
        w(NOTES.read_text())
    w(kept_load_tests())
    DOC.write_text("\n".join(out).rstrip() + "\n")
    return DOC


def nice_share(meta: dict[str, Any]) -> float | None:
    """Share of the busy CPU time that went to low-priority (nice) processes during the run."""
    start, end = meta.get("cpu_times_start"), meta.get("cpu_times_end")
    if not start or not end:
        return None
    delta = {k: end[k] - start[k] for k in start}
    busy = sum(v for k, v in delta.items() if k not in ("idle", "iowait"))
    return delta["nice"] / busy if busy else None


def summary(results: dict[str, Any]) -> str:
    burn = _valid(results.get("burn_down", {}))
    steady = _valid(results.get("steady_state", {}))
    conveyor = burn.get("conveyor", {}).get("jobs_per_s")
    peers = {n: r["jobs_per_s"] for n, r in burn.items() if not n.startswith("conveyor")}
    best_peer = max(peers, key=lambda n: peers[n]) if peers else None
    lat = (steady.get("conveyor") or {}).get("latency_ms") or {}
    load = results.get("api_load", {}) if isinstance(results.get("api_load"), dict) else {}
    api_max = load.get("max_rate_p95_under_limit")
    rows = [
        "## Targets\n",
        "| target | measured | met |",
        "|---|---|---|",
    ]
    if conveyor:
        rows.append(
            f"| engine burn-down ≥ 2,000 jobs/s (stretch 5,000) | {fmt(conveyor)} jobs/s |"
            f" {ok(conveyor >= TARGETS['burn_down'])}"
            f"{' (stretch too)' if conveyor >= TARGETS['burn_down_stretch'] else ' (stretch: no)'} |"
        )
    if conveyor and best_peer:
        rows.append(
            f"| faster than every peer | fastest peer {_label(results, best_peer)} {fmt(peers[best_peer])} jobs/s |"
            f" {ok(conveyor > peers[best_peer])} |"
        )
    if lat:
        rows.append(
            f"| pickup p50 < 20 ms, p99 < 100 ms at half the sustained rate | p50 {fmt(lat.get('p50'), 1)} ms,"
            f" p99 {fmt(lat.get('p99'), 1)} ms |"
            f" {ok((lat.get('p50') or 1e9) < TARGETS['pickup_p50_ms'] and (lat.get('p99') or 1e9) < 100)} |"
        )
    if api_max is not None:
        rows.append(
            f"| API p95 < 200 ms at 500 req/s (zero errors) | highest passing rate {fmt(api_max)} req/s |"
            f" {ok(api_max >= TARGETS['api_rate'])} |"
        )
    ret = results.get("retention", {})
    if isinstance(ret, dict) and "ratio" in ret:
        r = ret["ratio"]["claim_complete_jobs_per_s"]
        rows.append(
            f"| claim throughput with 1,000,000 finished jobs within 20% of an empty table | ratio {r:.2f} |"
            f" {ok(r >= 0.8)} |"
        )
    return "\n".join(rows) + "\n"


def setup(results: dict[str, Any]) -> str:
    meta = results["meta"]
    pg = meta.get("postgres", {})
    budget = meta["budget"]
    rows = [
        "## Setup\n",
        f"- **One run, one machine**: every system ran in turn against the same embedded PostgreSQL"
        f" {pg.get('server_version')} (pgserver; `fsync={pg.get('fsync')}`,"
        f" `synchronous_commit={pg.get('synchronous_commit')}`, `full_page_writes={pg.get('full_page_writes')}`,"
        f" `shared_buffers={pg.get('shared_buffers')}`, `max_connections={pg.get('max_connections')}`, a database"
        f" per system, reached over its Unix socket) and the same Redis ({meta.get('redis', '?').split(' sha')[0]},"
        " loopback, its default persistence: RDB snapshots, no AOF - so the Redis-based peers are *not* durable"
        " per job the way the PostgreSQL ones are).",
        f"- **Same worker budget for everyone**: {budget['processes']} worker processes x"
        f" {budget['slots_per_process']} concurrent jobs = {budget['total']} slots (asyncio tasks, threads,"
        " or what the system offers; RQ runs one job per process, so its budget is its 2 processes).",
        "- **The job**: a no-op that records when it started. Each system enqueues it through its own client"
        " library; producers use a bulk call where the library has one.",
        "",
        "| system | backend | versions | settings |",
        "|---|---|---|---|",
    ]
    for info in results["systems"].values():
        versions = ", ".join(f"{k} {v}" for k, v in info.get("versions", {}).items())
        settings = "; ".join(f"{k}: {v}" for k, v in info.get("settings", {}).items())
        rows.append(f"| {info['label']} | {info['backend']} | {versions} | {settings} |")
    return "\n".join(rows) + "\n"


def burn_down(results: dict[str, Any], images: dict[str, str]) -> str:
    burn = results.get("burn_down", {})
    jobs = results["meta"]["settings"]["jobs"]
    cap = results["meta"]["settings"]["burn_timeout"]
    rows = [
        "## Burn-down\n",
        f"{jobs:,} no-op jobs enqueued before any worker starts; the clock runs from the first job's start"
        " to the last job's completion as the system records it (row updated or deleted, message"
        f" acknowledged). A system still busy after {cap:g} s is stopped there and its rate is what it"
        " completed in that time (marked *capped*), which keeps the whole run under 20 minutes.\n",
        "| system | jobs/s | completed | seconds | enqueue jobs/s | worker CPU s per 1,000 jobs |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    ordered = sorted(
        burn.items(), key=lambda kv: -(kv[1].get("jobs_per_s", 0) if "error" not in kv[1] else -1)
    )
    for name, r in ordered:
        if "error" in r:
            rows.append(f"| {_label(results, name)} | failed: {r['error'][:120]} | | | | |")
            continue
        capped = " (capped)" if r.get("timed_out") else ""
        rows.append(
            f"| {_label(results, name)} | {fmt(r['jobs_per_s'])}{capped} | {fmt(r['completed'])} |"
            f" {fmt(r['seconds'], 1)} | {fmt(r['enqueue_jobs_per_s'])} | {fmt(r.get('worker_cpu_s_per_1000'), 2)} |"
        )
    if "throughput" in images:
        rows.append(f"\n![Throughput per system]({images['throughput']})\n")
    return "\n".join(rows) + "\n"


def steady_state(results: dict[str, Any], images: dict[str, str]) -> str:
    steady = results.get("steady_state", {})
    s = results["meta"]["settings"]
    rows = [
        "## Steady state and pickup latency\n",
        "A producer enqueues at a fixed rate while the workers consume. Rates are probed in"
        f" {s['probe_seconds']:g}-second steps (60%, 80%, 100% of the system's burn-down rate, or 40%, 25%"
        f" when 60% falls behind); the best rate that kept up is then held for {s['hold_seconds']:g} s"
        " (stepping down until one holds, a bounded number of times; every step is listed below). *Kept up* means the producer reached the rate and less"
        " than one second's worth of jobs was waiting at the end. Pickup latency (became due → started:"
        " the producer's clock just before the enqueue call to the handler's first line) is measured"
        f" for {s['latency_seconds']:g} s at half the sustained rate, after a warm-up.\n",
        "| system | sustained jobs/s (30 s) | latency measured at | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in sorted(steady.items(), key=lambda kv: -(kv[1].get("sustained_rate") or 0)):
        if "error" in r:
            rows.append(f"| {_label(results, name)} | failed: {r['error'][:120]} | | | | |")
            continue
        lat = r.get("latency_ms") or {}
        if not r["sustained_rate"]:
            tried = [s["target_rate"] for s in r.get("steps", []) if s["phase"] == "hold"]
            rows.append(
                f"| {_label(results, name)} | none of the rates held (tried {', '.join(fmt(x) for x in tried)})"
                " | - | - | - | - |"
            )
            continue
        rows.append(
            f"| {_label(results, name)} | {fmt(r['sustained_rate'])} | {fmt(r['latency_rate'])}/s |"
            f" {fmt(lat.get('p50'), 1)} | {fmt(lat.get('p95'), 1)} | {fmt(lat.get('p99'), 1)} |"
        )
    if "latency" in images:
        rows.append(f"\n![Pickup latency per system]({images['latency']})\n")
    rows.append("<details><summary>Every step</summary>\n")
    rows.append("| system | phase | target/s | achieved/s | backlog at end | kept up | p50 ms | p99 ms |")
    rows.append("|---|---|---:|---:|---:|---|---:|---:|")
    for name, r in steady.items():
        for step in r.get("steps", []) if isinstance(r, dict) else []:
            rows.append(
                f"| {_label(results, name)} | {step['phase']} | {fmt(step['target_rate'])} |"
                f" {fmt(step['achieved_rate'])} | {fmt(step['backlog_end'])} | {'yes' if step['sustained'] else 'no'} |"
                f" {fmt(step['latency_ms']['p50'], 1)} | {fmt(step['latency_ms']['p99'], 1)} |"
            )
    rows.append("\n</details>\n")
    return "\n".join(rows) + "\n"


def api_end_to_end(results: dict[str, Any]) -> str:
    api = results.get("api_end_to_end", {})
    if not api:
        return ""
    rows = [
        "## Conveyor through its HTTP API\n",
        "The same engine and workers, with jobs submitted to a `conveyor api` process (one uvicorn process)"
        " while the workers run: batches of 1,000 (`POST /api/v1/jobs/batch`, 2 clients) and single"
        " submits (`POST /api/v1/jobs`, concurrent clients). End-to-end runs from the first request to"
        " the last job completed; submit → start is the pickup latency including the HTTP request.\n",
        "| submits | jobs | clients | submitted jobs/s | request p50 / p95 ms | end-to-end jobs/s |"
        " submit → start p50 / p95 / p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, r in api.items():
        if "error" in r:
            rows.append(f"| {kind} | failed: {r['error'][:120]} | | | | | | |")
            continue
        lat = r["submit_to_start_ms"]
        rows.append(
            f"| {kind} | {fmt(r['jobs'])} | {r['clients']} | {fmt(r['submit_jobs_per_s'])} |"
            f" {fmt(r['request_ms']['p50'], 1)} / {fmt(r['request_ms']['p95'], 1)} |"
            f" {fmt(r['end_to_end_jobs_per_s'])} | {fmt(lat['p50'], 1)} / {fmt(lat['p95'], 1)} /"
            f" {fmt(lat['p99'], 1)} | {r['errors']} |"
        )
    return "\n".join(rows) + "\n"


def api_load(results: dict[str, Any], images: dict[str, str]) -> str:
    load = results.get("api_load")
    if not isinstance(load, dict):
        return ""
    if "error" in load:
        return f"## API load test\n\nFailed: {load['error'][:500]}\n"
    s = results["meta"]["settings"]
    rows = [
        "## API load test (Locust)\n",
        f"`conveyor api` (one process, default settings, per-key rate limit lifted) on the same PostgreSQL,"
        f" {load['seed_jobs']:,} finished jobs already in the table (the `finished_history` factory,"
        " `src/conveyor/factories.py`), one worker process running the submitted"
        " jobs. Locust (headless, loopback, `FastHttpUser`, each user one request per second) offers a"
        " rising rate for"
        f" {s['locust_seconds']} s per step after a short warm-up; the mix is 30% submit (`POST /api/v1/jobs`),"
        " 50% read (`GET /api/v1/jobs/{id}`), 19% list with filters (`GET /api/v1/jobs?state=&queue=&type=`),"
        " 1% analytics over the last 15 minutes in one-minute buckets (`GET /api/v1/analytics`, a dashboard"
        " polling)."
        " A step passes with zero errors, p95 under 200 ms and at least 95% of the offered rate delivered.\n",
        f"**Highest rate passing: {fmt(load['max_rate_p95_under_limit'])} req/s.**\n",
        "| offered req/s | endpoint | req/s | p50 ms | p95 ms | p99 ms | errors | pass |",
        "|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for step in load["steps"]:
        for name, e in step["endpoints"].items():
            rows.append(
                f"| {step['offered_rate']} | {name} | {fmt(e['req_per_s'], 1)} | {fmt(e['p50_ms'])} |"
                f" {fmt(e['p95_ms'])} | {fmt(e['p99_ms'])} | {e['failures']} |"
                f" {('yes' if step['passed'] else 'no') if name == 'all' else ''} |"
            )
    if "api" in images:
        rows.append(f"\n![API latency under load]({images['api']})\n")
    return "\n".join(rows) + "\n"


def retention(results: dict[str, Any]) -> str:
    r = results.get("retention")
    if not isinstance(r, dict):
        return ""
    if "error" in r:
        return f"## Retention\n\nFailed: {r['error'][:500]}\n"
    e, k, ratio = r["empty"], r["retained"], r["ratio"]
    return "\n".join(
        [
            "## Retention: finished jobs do not slow the claim path\n",
            f"Requirement: claim throughput with {r['history']:,} finished jobs retained stays within"
            " 20% of an empty table. `bench/retention.py` (also runnable alone:"
            " `.venv/bin/python bench/retention.py`) measures, after a warm-up, on a durable database:\n",
            "- **claim+complete** — the engine's `claim` and `complete` statements in batches of 100, no"
            " handler work: the hot path alone;",
            f"- **burn-down** — an in-process worker (concurrency 100, batch 100) running {r['jobs']:,} no-op"
            " jobs end to end.\n",
            f"The history is added by the `finished_history` factory (`src/conveyor/factories.py`): one"
            f" `INSERT ... SELECT generate_series` of {r['history']:,} `succeeded` jobs (with their insert"
            f" events; {fmt(r.get('history_insert_seconds'), 1)} s) and `VACUUM ANALYZE`.\n",
            "| case | claim+complete (jobs/s) | burn-down (jobs/s) |",
            "|---|---:|---:|",
            f"| empty history | {fmt(e['claim_complete_jobs_per_s'])} | {fmt(e['burn_down_jobs_per_s'])} |",
            f"| {r['history']:,} finished jobs kept | {fmt(k['claim_complete_jobs_per_s'])} |"
            f" {fmt(k['burn_down_jobs_per_s'])} |",
            f"| ratio | **{ratio['claim_complete_jobs_per_s']:.2f}** | **{ratio['burn_down_jobs_per_s']:.2f}** |",
            "",
            "Why: every index the claim, heartbeat, rescue and promotion statements use is partial on the"
            " unfinished states ([ADR 0002](adr/0002-one-jobs-table-partial-indexes.md)), so a claim reads"
            " `LIMIT n` entries of a small index whatever the history. (Single runs on a shared machine move by"
            " ±10% from run to run; a ratio above 1 is that noise.)\n",
        ]
    )


def driver(results: dict[str, Any]) -> str:
    d = results.get("driver")
    if not isinstance(d, dict):
        return ""
    if "error" in d:
        return f"## Driver\n\nFailed: {d['error'][:500]}\n"
    p, a = d["results"]["psycopg"], d["results"]["asyncpg"]
    names = {
        "enqueue": "enqueue (1,000 per call)",
        "claim_complete": "claim 100 + complete 100",
        "get_job": "get one job",
    }
    rows = [
        "## Driver: psycopg 3 vs asyncpg\n",
        f"`bench/driver.py`: Conveyor's own statements from `engine/sql/jobs.sql` on one connection each"
        f" (psycopg {d['versions']['psycopg']}, asyncpg {d['versions']['asyncpg']}), {d['jobs']:,} jobs, best of"
        f" {d['rounds']} after a warm-up round. Decision and reasoning: [ADR 0200](adr/0200-database-driver.md).\n",
        "| operation | psycopg jobs/s | asyncpg jobs/s | asyncpg / psycopg | psycopg client CPU ms per 1,000 |"
        " asyncpg client CPU ms per 1,000 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for op, label in names.items():
        rows.append(
            f"| {label} | {fmt(p[op]['per_s'])} | {fmt(a[op]['per_s'])} | {a[op]['per_s'] / p[op]['per_s']:.2f}x |"
            f" {fmt(p[op]['client_cpu_s_per_1000'] * 1000, 1)} | {fmt(a[op]['client_cpu_s_per_1000'] * 1000, 1)} |"
        )
    return "\n".join(rows) + "\n"


def _latest(name: str) -> tuple[Path, dict[str, Any]] | None:
    """The newest ``bench/results/<name>-<date>.json`` (a benchmark with its own results file)."""
    candidates = sorted((BENCH / "results").glob(f"{name}-*.json"))
    return (candidates[-1], json.loads(candidates[-1].read_text())) if candidates else None


def console_lists() -> str:
    """The console's list pages with 100,000 jobs (bench/console_lists.py, its own results file)."""
    if (latest := _latest("console-lists")) is None:
        return ""
    path, r = latest
    rows = [
        "## Console list pages with 100,000 jobs\n",
        f"`bench/console_lists.py` ([`{path.relative_to(ROOT)}`](../{path.relative_to(ROOT)}), {r['at'][:10]}):"
        f" a throwaway API, worker, scheduler and console on an embedded PostgreSQL, {r['jobs']:,} jobs added"
        " as the admin by the `jobs_in_states` factory (`src/conveyor/factories.py`: the engine's enqueue in"
        " batches of 1,000, the rows the API's batch submission writes; due in 2099, so they stay"
        " `scheduled`; 10 queues, 3 types), then"
        f" {r['requests_per_page']} sequential GETs of each page as a signed-in viewer, timed at the client"
        " (console → API → PostgreSQL → rendered HTML). Target: list pages p95 under 150 ms.\n",
        "| page | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|",
    ]
    for page, v in r["pages"].items():
        rows.append(f"| {page} | {fmt(v['p50_ms'], 1)} | {fmt(v['p95_ms'], 1)} | {fmt(v['max_ms'], 1)} |")
    rows.append(
        "\nList pages are cursor-paginated (`id < cursor ORDER BY id DESC LIMIT 50`), so their cost does not"
        " grow with the history. The overview is not a list page: it computes the last hour's analytics from"
        " `job_events` and every queue's depth on each load and each 5 s poll.\n"
    )
    return "\n".join(rows) + "\n"


def conditional_get() -> str:
    """What ETag revalidation saves a poller (bench/conditional_get.py, its own results file)."""
    if (latest := _latest("conditional-get")) is None:
        return ""
    path, r = latest
    rows = [
        "## Conditional GETs (ETag)\n",
        f"`bench/conditional_get.py` ([`{path.relative_to(ROOT)}`](../{path.relative_to(ROOT)}), {r['at'][:10]}):"
        f" {r['requests']} sequential GETs of one http job (~4 KB payload) as the admin, plain and revalidating"
        " with the ETag of the first answer, timed at the client.\n",
        "| request | p50 ms | p95 ms | body bytes |",
        "|---|---:|---:|---:|",
    ]
    for name, v in r["results"].items():
        rows.append(f"| {name} | {fmt(v['p50_ms'], 2)} | {fmt(v['p95_ms'], 2)} | {v['body_bytes']:,} |")
    rows.append(
        "\nA 304 still reads the job from PostgreSQL (the tag is the hash of what the caller would see, after"
        " redaction for their role), so it saves the body — bandwidth and the client's parsing — more than"
        " server time.\n"
    )
    return "\n".join(rows) + "\n"


def analytics_cache() -> str:
    """What reusing analytics answers saves a dashboard (bench/analytics_cache.py, its own results file)."""
    if (latest := _latest("analytics-cache")) is None:
        return ""
    path, r = latest
    load = r.get("load_average_1m")
    rows = [
        "## Analytics cache\n",
        f"`bench/analytics_cache.py` ([`{path.relative_to(ROOT)}`](../{path.relative_to(ROOT)}), {r['at'][:10]}):"
        f" {r['jobs']:,} echo jobs run to completion, then {r['requests']} sequential `GET /analytics` of the"
        " last hour as the admin, each a query not asked before (a miss: computed from `job_events`, then"
        " stored) or the same query again (a hit), timed at the client; the cache in the API process, then in"
        " a local redis-server."
        + (
            f" One-minute load average {fmt(load['before'], 1)} before and {fmt(load['after'], 1)} after, on"
            f" {r['machine']['cpus']} cores: a shared, busy machine, so absolute numbers are high and noisy."
            if load
            else ""
        )
        + "\n",
        "| cache | request | p50 ms | p95 ms |",
        "|---|---|---:|---:|",
    ]
    for store, results in r["results"].items():
        for name, v in results.items():
            rows.append(f"| {store} | {name} | {fmt(v['p50_ms'], 2)} | {fmt(v['p95_ms'], 2)} |")
    rows.append(
        "\nA hit costs authentication and one cache read instead of two aggregate queries over the window's"
        " events; with Redis every API replica shares the answers. Answers live"
        " `CONVEYOR_ANALYTICS_CACHE_SECONDS` (10 s by default), per query and role (ADR 0027).\n"
    )
    return "\n".join(rows) + "\n"


def losses(results: dict[str, Any]) -> str:
    """Where Conveyor is behind a peer, computed from this run's numbers."""
    burn = _valid(results.get("burn_down", {}))
    steady = _valid(results.get("steady_state", {}))
    lines = ["## Where Conveyor loses\n"]
    conveyor = burn.get("conveyor")
    found = False
    if conveyor:
        for name, r in sorted(burn.items(), key=lambda kv: -kv[1]["jobs_per_s"]):
            if name.startswith("conveyor") or r["jobs_per_s"] <= conveyor["jobs_per_s"]:
                continue
            found = True
            lines.append(
                f"- **Burn-down: {_label(results, name)}** {fmt(r['jobs_per_s'])} jobs/s vs Conveyor"
                f" {fmt(conveyor['jobs_per_s'])} ({r['jobs_per_s'] / conveyor['jobs_per_s']:.2f}x)."
            )
    c_lat = (steady.get("conveyor") or {}).get("latency_ms") or {}
    c_rate = (steady.get("conveyor") or {}).get("sustained_rate") or 0
    for name, r in steady.items():
        if name.startswith("conveyor"):
            continue
        if (r.get("sustained_rate") or 0) > c_rate:
            found = True
            lines.append(
                f"- **Steady state: {_label(results, name)}** sustained {fmt(r['sustained_rate'])} jobs/s vs"
                f" Conveyor {fmt(c_rate)}."
            )
        lat = r.get("latency_ms") or {}
        if c_lat and lat and (lat.get("p50") or 1e9) < (c_lat.get("p50") or 0):
            found = True
            lines.append(
                f"- **Pickup latency: {_label(results, name)}** p50 {fmt(lat['p50'], 1)} ms vs Conveyor"
                f" {fmt(c_lat['p50'], 1)} ms (each at half its own sustained rate)."
            )
    if not found:
        lines.append("Nowhere in this run: Conveyor led every measurement.")
    lines.append("\nWhy, and what would change it: see *Analysis* below.\n")
    return "\n".join(lines) + "\n"


LOAD_TESTS_START = "<!-- load-tests:begin"


def kept_load_tests() -> str:
    """The SLO load tests' section (written by load/run.py, `make load`), kept as it is."""
    if not DOC.exists() or LOAD_TESTS_START not in DOC.read_text():
        return ""
    return LOAD_TESTS_START + DOC.read_text().split(LOAD_TESTS_START, 1)[1].rstrip()


def main() -> None:
    if len(sys.argv) > 1:
        path = Path(sys.argv[1]).resolve()
    else:
        candidates = sorted((BENCH / "results").glob("[0-9][0-9][0-9][0-9]-*.json"))
        if not candidates:
            sys.exit("no bench/results/<date>.json yet: run `make bench`")
        path = candidates[-1]
    print(render(path))


if __name__ == "__main__":
    main()
