"""The disaster-recovery drill (`make dr-drill`): Conveyor under steady load on Debian's
PostgreSQL with pgBackRest, then a disaster, then the recovery — measured.

    python -m scripts.dr.drill [--short] [--record]

Scenarios:
  primary-lost/restore       the primary is killed and its data directory deleted; the latest
                             backup plus archived WAL is restored into a new instance
  primary-lost/promote-async the same loss; the asynchronous streaming replica is promoted
  primary-lost/promote-sync  the same, with synchronous replication (synchronous_commit=on)
  operator-error             jobs DELETEd by mistake; PITR to just before the DELETE

Conveyor's processes run all along with a libpq multi-host URL (the old primary's and the new
one's address, target_session_attrs=read-write) and are never restarted: they must find the new
primary by themselves. RPO = jobs the API acknowledged (201) that are missing after recovery,
and the time span they cover; RTO = failure -> API ready and a new job completed. Every
acknowledged job is accounted for by its token against the load generator's log: present and
final (succeeded, run again if its completion was lost) or reported missing — never unseen.
A drill that cannot reach its steady state or inject its fault raises DrillError saying why.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from scripts.dr.backup import Repository
from scripts.dr.load import LoadGenerator
from scripts.dr.postgres import PG_BIN, Cluster, DrillError, make_workdir, poll, require_binaries
from scripts.dr.stack import Stack, free_port, multi_host_url

REPO = Path(__file__).resolve().parents[2]
RECORDS = REPO / "docs" / "dr" / "drills"
README = REPO / "docs" / "dr" / "README.md"
TARGET_RPO_ARCHIVE_S = 60.0
TARGET_RTO_S = 300.0
FINAL_STATES = {"succeeded", "dead", "cancelled"}


@dataclass
class Sizes:
    """How long each phase runs: the full drill, or the short one `make test` runs."""

    load_seconds: float
    archive_timeout_s: int
    rate: float
    # Conveyor's own settings for the run: none in the full drill (production defaults); the
    # short one shortens the lease so jobs caught running come back in seconds, not 30 s.
    conveyor_env: dict[str, str]

    @classmethod
    def full(cls) -> Sizes:
        # archive_timeout as production sets it for RPO <= 60 s (ADR 0800).
        return cls(load_seconds=20, archive_timeout_s=30, rate=20, conveyor_env={})

    @classmethod
    def short(cls) -> Sizes:
        return cls(
            load_seconds=3, archive_timeout_s=5, rate=10, conveyor_env={"CONVEYOR_WORKER_LEASE_SECONDS": "5"}
        )


_T0 = time.monotonic()


def say(message: str) -> None:
    """Progress on stderr, with the seconds since the drill began."""
    print(f"  [{time.monotonic() - _T0:6.1f} s] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float | None:
    if len(values) < 2:
        return values[0] if values else None
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


@contextmanager
def conveyor(database_url: str, logs: Path, sizes: Sizes, *, workers: int = 2) -> Iterator[Stack]:
    """Migrated schema, an admin key, the API, ``workers`` workers and a scheduler, all ready."""
    stack = Stack(database_url, logs, dict(sizes.conveyor_env))
    try:
        stack.migrate()
        stack.create_admin_key()
        stack.start("api", CONVEYOR_DATABASE_TIMEOUT="2")
        for _ in range(workers):
            stack.start("worker")
        stack.start("scheduler")
        stack.wait_ready()
        yield stack
    finally:
        stack.stop()


def client(stack: Stack) -> httpx.Client:
    return httpx.Client(
        base_url=stack.api().url, headers={"Authorization": f"Bearer {stack.admin_key}"}, timeout=5
    )


def reach_steady_state(stack: Stack, load: LoadGenerator) -> None:
    """Submits acknowledged, jobs completing, the schedule firing — or a DrillError naming which."""
    with client(stack) as api:

        def succeeded(job_type: str) -> bool:
            try:
                response = api.get(
                    "/api/v1/jobs", params={"state": "succeeded", "type": job_type, "limit": 1}
                )
            except httpx.HTTPError:
                return False
            return response.status_code == 200 and bool(response.json()["items"])

        poll(
            lambda: len(load.acked()) >= 5, timeout=30, what=f"acknowledged submits (so far {load.outcomes})"
        )
        poll(lambda: succeeded(load.job_type), timeout=30, what="a submitted job to succeed")
        poll(lambda: succeeded("echo"), timeout=30, what="the drill schedule to fire and its job to succeed")


def start_schedule(stack: Stack) -> None:
    with client(stack) as api:
        response = api.post(
            "/api/v1/schedules",
            json={"name": "drill-heartbeat", "cron": "@every 1s", "job": {"type": "echo", "payload": {}}},
        )
        if response.status_code != 201:
            raise DrillError(f"could not create the drill schedule: {response.status_code} {response.text}")


def recovered(stack: Stack, since: float) -> float:
    """Wait for the API to accept a new job and a worker to complete it; return when it did."""

    def probe() -> int | None:
        try:
            with client(stack) as api:
                response = api.post("/api/v1/jobs", json={"type": "noop", "payload": {"probe": since}})
            return int(response.json()["id"]) if response.status_code == 201 else None
        except httpx.HTTPError:
            return None

    job_id = poll(probe, timeout=TARGET_RTO_S, what="the API to accept a job after recovery", interval=0.2)

    def done() -> bool:
        try:
            with client(stack) as api:
                return bool(api.get(f"/api/v1/jobs/{job_id}").json()["state"] == "succeeded")
        except (httpx.HTTPError, KeyError, ValueError):
            return False

    poll(done, timeout=TARGET_RTO_S, what=f"probe job {job_id} to succeed after recovery", interval=0.1)
    return time.time()


def commit_latency(cluster: Cluster, *, commits: int = 300) -> dict[str, dict[str, float | None]]:
    """What a synchronous standby costs one commit: ``commits`` single-row INSERTs with
    synchronous_commit = on (waits for the standby's flush) and = local (does not), p50/p95 in ms."""
    cluster.sql("CREATE TABLE IF NOT EXISTS drill_commit_probe (n int)", dbname="postgres")
    result: dict[str, dict[str, float | None]] = {}
    with cluster.superuser() as conn:
        for mode in ("on", "local"):
            conn.execute(f"SET synchronous_commit = {mode}".encode())
            timings = []
            for n in range(commits):
                started = time.perf_counter()
                conn.execute(b"INSERT INTO drill_commit_probe VALUES (%s)", (n,))
                timings.append(time.perf_counter() - started)
            result["sync" if mode == "on" else "local"] = {
                "p50": _ms(percentile(timings, 50)),
                "p95": _ms(percentile(timings, 95)),
            }
    return result


def every_process_reconnected(stack: Stack, new_primary: Cluster, since: float) -> dict[str, int]:
    """Each process of the stack, never restarted, works against the new primary: the API
    answered (the probe), every worker announces itself there, and every process is ready."""
    workers = [c for c in stack.children if c.command == "worker"]
    poll(
        lambda: (
            new_primary.count(
                "SELECT count(*) FROM conveyor.workers WHERE seen_at > to_timestamp(%s)", (since,)
            )
            >= len(workers)
        ),
        timeout=60,
        what=f"all {len(workers)} workers to announce themselves on the new primary",
    )
    stack.wait_ready()
    restarted = [c.command for c in stack.children if not c.alive()]
    if restarted:
        raise DrillError(f"processes exited instead of reconnecting: {restarted}")
    return {
        command: sum(c.command == command for c in stack.children)
        for command in ("api", "worker", "scheduler")
    }


def account(
    cluster: Cluster,
    load: LoadGenerator,
    failure_at: float,
    *,
    writable_at: float | None = None,
    settle_timeout: float = 120,
) -> dict[str, Any]:
    """Every acknowledged job, row by row: present and final, or missing — and then only one
    acknowledged before the new primary accepted writes (``writable_at``, default the failure).
    A 201 that reaches the load generator between the failure and then was committed on the old
    primary before it died (the kill lands a moment after the drill takes its time; the answer
    travels after the commit): lost with the unarchived WAL, it counts toward the RPO like any
    job acknowledged before the failure. Waits for leases of jobs caught running to expire."""
    acked = load.acked()

    def rows() -> dict[str, str]:
        found = cluster.sql("SELECT payload->>'token', state FROM conveyor.jobs WHERE payload ? 'token'")
        return {str(token): str(state) for token, state in found}

    def settled() -> tuple[dict[str, str]] | None:
        by_token = rows()
        pending = [a for a in acked if a.token in by_token and by_token[a.token] not in FINAL_STATES]
        return None if pending else (by_token,)

    try:
        (by_token,) = poll(
            settled, timeout=settle_timeout, what="acknowledged jobs to reach a final state", interval=1
        )
    except DrillError:
        by_token = rows()
        stuck = [a.job_id for a in acked if by_token.get(a.token, "succeeded") not in FINAL_STATES]
        raise DrillError(
            f"{len(stuck)} acknowledged jobs never reached a final state: ids {stuck[:20]}"
        ) from None
    missing = [a for a in acked if a.token not in by_token]
    after_recovery = [a for a in missing if a.acked_at >= (writable_at or failure_at)]
    if after_recovery:
        raise DrillError(
            f"{len(after_recovery)} jobs acknowledged after the new primary accepted writes are "
            f"missing (ids {[a.job_id for a in after_recovery[:20]]}): the new primary lost committed work"
        )
    not_succeeded = sorted({by_token[a.token] for a in acked if a.token in by_token} - {"succeeded"})
    if not_succeeded:
        raise DrillError(f"acknowledged jobs ended {not_succeeded}, not succeeded")
    return {
        "acknowledged": len(acked),
        "accounted_final": len(acked) - len(missing),
        "missing": len(missing),
        "missing_ids": [a.job_id for a in missing],
        # From the earliest lost acknowledgement to the failure (0 when every loss was answered
        # in the moment around the kill).
        "missing_span_seconds": (
            round(max(0.0, failure_at - min(a.acked_at for a in missing)), 3) if missing else 0.0
        ),
        "missing_acknowledged_after_failure": sum(a.acked_at >= failure_at for a in missing),
    }


@contextmanager
def clusters() -> Iterator[list[Cluster]]:
    """The PostgreSQL instances a scenario starts, all stopped when it ends, passed or failed."""
    started: list[Cluster] = []
    try:
        yield started
    finally:
        for cluster in started:
            cluster.ensure_stopped()


def archiving_primary(root: Path, sizes: Sizes, started: list[Cluster]) -> tuple[Repository, Cluster]:
    """A new primary with the app database, archiving its WAL to a new pgBackRest repository."""
    repo = Repository(root)
    primary = Cluster("primary", root, free_port())
    started.append(primary)
    repo.configure(primary)
    primary.settings.update(repo.archiving_settings(sizes.archive_timeout_s))
    say("primary: initdb, start, stanza")
    primary.initdb().start()
    primary.create_app_database()
    repo.stanza_create()
    return repo, primary


@contextmanager
def steady_load(stack: Stack, root: Path, sizes: Sizes) -> Iterator[LoadGenerator]:
    """The schedule firing and submits at ``sizes.rate``, steady before the body runs; the load
    stops however the body ends, so its acknowledged log is final for the accounting after."""
    start_schedule(stack)
    load = LoadGenerator(
        stack.api().url, stack.admin_key, root / "acknowledged.jsonl", rate=sizes.rate
    ).start()
    try:
        say("steady state?")
        reach_steady_state(stack, load)
        yield load
    finally:
        load.stop()


def primary_lost(root: Path, sizes: Sizes, *, recovery: str) -> dict[str, Any]:
    """Steady load, backups, the primary killed and its data deleted, then ``recovery``:
    ``restore`` (latest backup + archived WAL into a new instance), ``promote-async`` or
    ``promote-sync`` (the streaming replica promoted)."""
    with clusters() as started:
        return _primary_lost(root, sizes, recovery, started)


def _primary_lost(root: Path, sizes: Sizes, recovery: str, started: list[Cluster]) -> dict[str, Any]:
    root = make_workdir(root)
    repo, primary = archiving_primary(root, sizes, started)
    standby_port = free_port()
    replica = None
    replication_cost = None
    if recovery.startswith("promote"):
        replica = primary.replica("replica", standby_port, application_name="replica")
        started.append(replica)
        poll(
            lambda: primary.sql(
                "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'", dbname="postgres"
            )[0][0],
            timeout=30,
            what="the replica to stream",
        )
        if recovery == "promote-sync":
            # Only once the standby streams: before, every commit would wait for it forever.
            primary.sql("ALTER SYSTEM SET synchronous_standby_names = 'replica'", dbname="postgres")
            primary.sql("ALTER SYSTEM SET synchronous_commit = 'on'", dbname="postgres")
            primary.sql("SELECT pg_reload_conf()", dbname="postgres")
            poll(
                lambda: primary.sql(
                    "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'", dbname="postgres"
                )[0][0],
                timeout=30,
                what="the replica to become synchronous",
            )
            replication_cost = commit_latency(primary)
    url = multi_host_url([primary.port, standby_port])
    backups: list[str] = []
    say("conveyor: migrate, start")
    with conveyor(url, root / "logs", sizes) as stack:
        with steady_load(stack, root, sizes) as load:
            say("full backup")
            backups.append(repo.backup("full")["label"])
            time.sleep(sizes.load_seconds / 2)  # load between backups: the incremental has work to copy
            say("incremental backup")
            backups.append(repo.backup("incr")["label"])
            time.sleep(sizes.load_seconds / 2)  # work only in WAL (archived or not) when the primary dies
            latencies = list(load.latencies)
            say("FAULT: primary killed, data directory deleted")
            failure_at = primary.kill()
            primary.destroy_data()
            if recovery == "restore":
                restored = Cluster("restored", root, standby_port, dict(primary.settings))
                started.append(restored)
                repo.restore(restored)
                repo.configure(restored)  # pg1 is now the restored instance: archiving resumes there
                restored.start(timeout=300)
                poll(lambda: not restored.in_recovery(), timeout=300, what="the restored instance to promote")
                new_primary = restored
            else:
                assert replica is not None
                replica.promote()
                new_primary = replica
            database_back_at = time.time()
            say("database back; waiting for Conveyor")
            recovered_at = recovered(stack, failure_at)
            reconnected = every_process_reconnected(stack, new_primary, failure_at)
            time.sleep(1)  # a little load on the new primary: acknowledged after recovery, never lost
        say("accounting")
        accounting = account(new_primary, load, failure_at, writable_at=database_back_at)
        fires_after = new_primary.sql(
            "SELECT count(*) FROM conveyor.jobs WHERE type = 'echo' AND created_at > to_timestamp(%s)",
            (recovered_at,),
        )[0][0]
        if not fires_after:
            raise DrillError("the schedule did not fire on the new primary")
    rpo_ok = (
        accounting["missing"] == 0
        if recovery == "promote-sync"
        else (accounting["missing_span_seconds"] <= TARGET_RPO_ARCHIVE_S)
    )
    return {
        "scenario": f"primary-lost/{recovery}",
        "rpo": {"lost_jobs": accounting["missing"], "lost_span_seconds": accounting["missing_span_seconds"]},
        "rto_seconds": round(recovered_at - failure_at, 2),
        "database_back_seconds": round(database_back_at - failure_at, 2),
        "submit_latency_ms": {
            "p50": _ms(percentile(latencies, 50)),
            "p95": _ms(percentile(latencies, 95)),
            "samples": len(latencies),
        },
        "accounting": accounting,
        "processes_reconnected": reconnected,
        "commit_latency_ms": replication_cost,
        "backups": backups,
        "archive_timeout_seconds": sizes.archive_timeout_s,
        "targets_met": {"rpo": rpo_ok, "rto": recovered_at - failure_at <= TARGET_RTO_S},
    }


def operator_error(root: Path, sizes: Sizes) -> dict[str, Any]:
    """Jobs DELETEd by mistake; PITR into a new instance to just before the DELETE; the rows back."""
    with clusters() as started:
        return _operator_error(root, sizes, started)


def _operator_error(root: Path, sizes: Sizes, started: list[Cluster]) -> dict[str, Any]:
    root = make_workdir(root)
    repo, primary = archiving_primary(root, sizes, started)
    pitr_port = free_port()
    url = multi_host_url([primary.port, pitr_port])
    say("conveyor: migrate, start")
    with conveyor(url, root / "logs", sizes) as stack:
        with steady_load(stack, root, sizes) as load:
            say("full backup")
            backup = repo.backup("full")["label"]
            time.sleep(sizes.load_seconds / 2)  # jobs after the backup: they come back from WAL alone
        account(primary, load, time.time())  # all final before the mistake: the baseline
        before = primary.sql("SELECT count(*) FROM conveyor.jobs WHERE payload ? 'token'")[0][0]
        target = primary.sql("SELECT clock_timestamp()")[0][0]
        assert isinstance(target, dt.datetime)
        say("FAULT: DELETE by mistake")
        mistake_at = time.time()
        deleted = primary.sql(
            "WITH gone AS (DELETE FROM conveyor.jobs WHERE payload ? 'token' RETURNING 1) "
            "SELECT count(*) FROM gone"
        )[0][0]
        if not deleted:
            raise DrillError("the mistaken DELETE removed nothing: no fault injected")
        primary.sql("SELECT pg_switch_wal()")  # the DELETE's WAL segment reaches the repository now
        poll(
            lambda: primary.sql(
                "SELECT last_failed_wal IS NULL AND archived_count > 0 FROM pg_stat_archiver",
                dbname="postgres",
            )[0][0],
            timeout=60,
            what="the WAL with the DELETE to be archived",
        )
        # The operator: stop the damaged primary (it accepts writes), restore to just before.
        primary.stop()
        pitr = Cluster("pitr", root, pitr_port, dict(primary.settings))
        started.append(pitr)
        repo.restore(pitr, target_time=target.isoformat(sep=" "))
        repo.configure(pitr)
        say("PITR restored; starting")
        pitr.start(timeout=300)
        poll(lambda: not pitr.in_recovery(), timeout=300, what="the PITR instance to promote")
        say("waiting for Conveyor")
        recovered_at = recovered(stack, mistake_at)
        after = pitr.sql("SELECT count(*) FROM conveyor.jobs WHERE payload ? 'token'")[0][0]
        accounting = account(pitr, load, mistake_at)
    if after != before or accounting["missing"]:
        raise DrillError(
            f"PITR brought back {after} of {before} jobs; missing ids {accounting['missing_ids'][:20]}"
        )
    return {
        "scenario": "operator-error/pitr",
        "rpo": {"lost_jobs": accounting["missing"], "lost_span_seconds": 0.0},
        "rto_seconds": round(recovered_at - mistake_at, 2),
        "deleted_by_mistake": deleted,
        "restored": after,
        "accounting": accounting,
        "backups": [backup],
        "recovery_target": target.isoformat(),
        "targets_met": {"rpo": accounting["missing"] == 0, "rto": recovered_at - mistake_at <= TARGET_RTO_S},
    }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


SCENARIOS: dict[str, Callable[[Path, Sizes], dict[str, Any]]] = {
    "restore": lambda root, sizes: primary_lost(root, sizes, recovery="restore"),
    "promote-async": lambda root, sizes: primary_lost(root, sizes, recovery="promote-async"),
    "promote-sync": lambda root, sizes: primary_lost(root, sizes, recovery="promote-sync"),
    "operator-error": operator_error,
}


def versions() -> dict[str, str]:
    pg = subprocess.run([str(PG_BIN / "postgres"), "--version"], capture_output=True, text=True, check=False)
    backrest = subprocess.run(
        [shutil.which("pgbackrest") or "pgbackrest", "version"], capture_output=True, text=True, check=False
    )
    return {
        "postgresql": pg.stdout.split()[2],  # "postgres (PostgreSQL) 15.18 (Debian ...)"
        "pgbackrest": backrest.stdout.strip().rsplit(" ", 1)[-1],
        "python": platform.python_version(),
    }


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| scenario | RPO: lost jobs | RPO: span (s) | RTO (s) | database back (s) "
        "| submit p50 / p95 (ms) | acknowledged | targets met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        latency = r.get("submit_latency_ms") or {}
        lat = f"{latency.get('p50')} / {latency.get('p95')}" if latency else "—"
        met = (
            "yes"
            if all(r["targets_met"].values())
            else "NO: " + ", ".join(k for k, v in r["targets_met"].items() if not v)
        )
        lines.append(
            f"| {r['scenario']} | {r['rpo']['lost_jobs']} | {r['rpo']['lost_span_seconds']} "
            f"| {r['rto_seconds']} | {r.get('database_back_seconds', '—')} | {lat} "
            f"| {r['accounting']['acknowledged']} | {met} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--short", action="store_true", help="the seconds-sized variant `make test` runs")
    parser.add_argument("--scenario", action="append", choices=sorted(SCENARIOS), help="default: all")
    parser.add_argument(
        "--record", action="store_true", help="write docs/dr/drills/<date>.json and the README table"
    )
    parser.add_argument("--workdir", type=Path, help="default: a fresh directory under /tmp")
    args = parser.parse_args()
    require_binaries()
    sizes = Sizes.short() if args.short else Sizes.full()
    workdir = make_workdir(args.workdir or Path(tempfile.mkdtemp(prefix="conveyor-dr-")))
    results = []
    for name in args.scenario or list(SCENARIOS):
        print(f"dr-drill: {name} ...", flush=True)
        started = time.monotonic()
        result = SCENARIOS[name](workdir / name, sizes)
        result["drill_seconds"] = round(time.monotonic() - started, 1)
        results.append(result)
        print(f"dr-drill: {name}: RPO {result['rpo']} RTO {result['rto_seconds']} s", flush=True)
    print(table(results))
    record = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "short": args.short,
        "versions": versions(),
        "machine": {"cpus": _cpus(), "kernel": platform.release()},
        "scenarios": results,
    }
    if args.record:
        RECORDS.mkdir(parents=True, exist_ok=True)
        path = RECORDS / f"{record['date'][:10]}.json"
        if path.exists() and args.scenario:
            # A partial re-run the same day replaces its scenarios in that day's record.
            earlier = json.loads(path.read_text())
            ran = {r["scenario"] for r in results}
            kept = [r for r in earlier["scenarios"] if r["scenario"] not in ran]
            order = [f"primary-lost/{n}" for n in ("restore", "promote-async", "promote-sync")]
            merged = sorted([*kept, *results], key=lambda r: [*order, r["scenario"]].index(r["scenario"]))
            record = {**record, "scenarios": merged}
        path.write_text(json.dumps(record, indent=2) + "\n")
        write_readme()
        print(f"dr-drill: recorded {path.relative_to(REPO)} and docs/dr/README.md")
    else:
        (workdir / "drill.json").write_text(json.dumps(record, indent=2) + "\n")
        print(f"dr-drill: results in {workdir / 'drill.json'}")
    failed = [r["scenario"] for r in results if not all(r["targets_met"].values())]
    if failed:
        print(f"dr-drill: targets missed by {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


README_START = "<!-- drills:begin (generated by scripts/dr/drill.py from docs/dr/drills/*.json) -->"
README_END = "<!-- drills:end -->"


def readme_table() -> str:
    sections = []
    for path in sorted(RECORDS.glob("*.json"), reverse=True):
        record = json.loads(path.read_text())
        v = record["versions"]
        sections.append(
            f"**{record['date']}** — PostgreSQL {v['postgresql']}, pgBackRest {v['pgbackrest']}, "
            f"{record['machine']['cpus']} CPUs ([{path.name}](drills/{path.name}))\n\n"
            + table(record["scenarios"])
            + replication_cost_line(record["scenarios"])
        )
    return "\n\n".join(sections)


def replication_cost_line(results: list[dict[str, Any]]) -> str:
    for r in results:
        cost = r.get("commit_latency_ms")
        if cost:
            return (
                "\n\nOne commit with the synchronous standby waited for (`synchronous_commit=on`) vs. "
                f"not (`local`), 300 single-row INSERTs on loopback: p50 {cost['sync']['p50']} vs. "
                f"{cost['local']['p50']} ms, p95 {cost['sync']['p95']} vs. {cost['local']['p95']} ms."
            )
    return ""


def write_readme() -> None:
    text = README.read_text()
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    README.write_text(f"{head}{README_START}\n{readme_table()}\n{README_END}{tail}")


def _cpus() -> int:
    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    sys.exit(main())
