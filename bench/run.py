"""Conveyor's benchmark suite: one harness, one run, same machine, same PostgreSQL and Redis.

    make bench          # the whole comparison; writes bench/results/<date>.json,
                        # docs/benchmarks.md and docs/benchmarks/*.png
    make bench-smoke    # a seconds-sized run of every part, to keep the harness working

or directly: ``bench/.venv/bin/python bench/run.py [--smoke] [--only conveyor,pgqueuer] ...``.
Runs in bench/.venv (see bench/pyproject.toml); Conveyor runs from the project's .venv.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import api_load
import measure
from catalog import Budget, Context, ConveyorAPI, all_systems
from harness import (
    BENCH,
    BENCH_PYTHON,
    PROJECT_PYTHON,
    ROOT,
    BenchError,
    cpu_model,
    cpu_times,
    load_average,
    start_postgres,
    start_redis,
)
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

RESULTS = BENCH / "results"


@dataclass(frozen=True)
class Profile:
    jobs: int = 20_000
    burn_timeout: float = 60.0  # a slower system is stopped there and its rate taken so far
    probe_seconds: float = 5.0
    hold_seconds: float = 30.0
    latency_seconds: float = 10.0
    steady_systems: tuple[str, ...] = ()  # empty: all
    api_batch_jobs: int = 20_000
    api_single_jobs: int = 3_000
    api_single_clients: int = 32
    locust_rates: tuple[int, ...] = (100, 200, 300, 400, 500, 600, 800)
    locust_seconds: int = 12
    retention_jobs: int = 20_000
    retention_history: int = 1_000_000
    driver_jobs: int = 20_000
    driver_rounds: int = 2


FULL = Profile()
SMOKE = Profile(
    jobs=500,
    burn_timeout=30,
    probe_seconds=2,
    hold_seconds=3,
    latency_seconds=2,
    api_batch_jobs=500,
    api_single_jobs=100,
    api_single_clients=4,
    locust_rates=(10,),
    locust_seconds=4,
    retention_jobs=400,
    retention_history=5_000,
    driver_jobs=1_000,
    driver_rounds=1,
)


class UI:
    """A Rich progress display: one bar for the run, one for the current step."""

    def __init__(self, console: Console, log_file: Path) -> None:
        self.console = console
        self.log_file = log_file
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.overall = self.progress.add_task("benchmark", total=1)
        self.current = self.progress.add_task("", total=1, visible=False)
        self.lines: list[str] = []

    def log(self, message: str) -> None:
        line = f"{datetime.now(UTC):%H:%M:%S} {message}"
        self.lines.append(line)
        with self.log_file.open("a") as f:
            f.write(line + "\n")
        self.progress.console.log(message)

    @contextmanager
    def step(self, description: str) -> Iterator[Callable[[float, float], None]]:
        self.progress.reset(self.current, total=1, description=description, visible=True)

        def update(completed: float, total: float) -> None:
            self.progress.update(self.current, completed=int(completed), total=max(int(total), 1))

        try:
            yield update
        finally:
            self.progress.advance(self.overall)


def git_commit() -> str | None:
    try:
        return subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def guarded(ui: UI, what: str, results: dict[str, Any], key: str, fn: Callable[[], Any]) -> Any:
    """Run one measurement; a failure is recorded (and logged) instead of ending the run."""
    try:
        value = fn()
    except Exception as exc:
        ui.log(f"[red]{what} failed: {exc}")
        (ui.log_file.parent / "errors.log").open("a").write(f"--- {what}\n{traceback.format_exc()}\n")
        value = {"error": str(exc)[:2000]}
    results[key] = value
    return value


def run(args: argparse.Namespace) -> Path:
    profile = SMOKE if args.smoke else FULL
    budget = Budget(processes=args.processes, slots=args.slots)
    systems = [s for s in all_systems() if not args.only or s.name in args.only]
    api = ConveyorAPI() if not args.only or "conveyor-api" in args.only else None
    steady = [s for s in systems if not profile.steady_systems or s.name in profile.steady_systems]
    run_dir = Path(tempfile.mkdtemp(prefix="cvb-", dir=args.tmp))  # short: PostgreSQL's socket lives here
    console = Console(stderr=False)
    ui = UI(console, run_dir / "run.log")
    started = time.time()
    results: dict[str, Any] = {
        "meta": {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "profile": "smoke" if args.smoke else "full",
            "settings": asdict(profile),
            "budget": {
                "processes": budget.processes,
                "slots_per_process": budget.slots,
                "total": budget.total,
            },
            "cpu": cpu_model(),
            "cores": os.cpu_count(),
            "memory_gib": memory_gib(),
            "kernel": platform.release(),
            "python": platform.python_version(),
            "conveyor_commit": git_commit(),
            "load_average_start": load_average(),
            "cpu_times_start": cpu_times(),
        },
        "systems": {},
        "burn_down": {},
        "api_end_to_end": {},
        "steady_state": {},
    }
    phases = 2 + len(systems) + (2 if api else 0) + len(steady)
    phases += (1 if api and not args.skip_locust else 0) + (0 if args.skip_driver else 1)
    phases += 0 if args.skip_retention else 1
    ui.progress.update(ui.overall, total=phases)
    with ui.progress:
        ui.log(f"run directory {run_dir}; load average {load_average()}; budget {budget}")
        with ui.step("starting PostgreSQL and Redis"):
            pg = start_postgres(run_dir / "pg")
            redis = start_redis(run_dir / "redis")
            ctx = Context(pg, redis, run_dir, budget)
            results["meta"]["postgres"] = pg.settings()
            results["meta"]["redis"] = redis.version
        try:
            with ui.step("setting up the systems"):
                for system in [*systems, *([api] if api else [])]:
                    system.setup(ctx)
                    results["systems"][system.name] = {
                        "label": system.label,
                        "backend": system.backend,
                        "versions": system.versions(),
                        "settings": system.settings(),
                    }
            for system in systems:
                with ui.step(f"burn-down: {system.label}") as progress:
                    r = guarded(
                        ui,
                        f"burn-down {system.label}",
                        results["burn_down"],
                        system.name,
                        lambda s=system, p=progress: measure.burn_down(
                            s, profile.jobs, p, profile.burn_timeout
                        ),
                    )
                    if "error" not in r:
                        capped = " (stopped at the time cap)" if r["timed_out"] else ""
                        ui.log(
                            f"{system.label}: burn-down {r['completed']:,} jobs at {r['jobs_per_s']:,.0f}/s{capped};"
                            f" enqueue {r['enqueue_jobs_per_s']:,.0f}/s"
                        )
            if api:
                api.start_api()
                try:
                    for batch, jobs, clients in (
                        (1000, profile.api_batch_jobs, 2),
                        (1, profile.api_single_jobs, profile.api_single_clients),
                    ):
                        kind = "batch" if batch > 1 else "single"
                        with ui.step(f"HTTP API end-to-end: {kind} submits") as progress:
                            r = guarded(
                                ui,
                                f"API {kind}",
                                results["api_end_to_end"],
                                kind,
                                lambda b=batch, j=jobs, c=clients, p=progress: measure.api_end_to_end(
                                    api, j, b, c, p
                                ),
                            )
                            if "error" not in r:
                                ui.log(
                                    f"API {kind}: submitted {r['submit_jobs_per_s']:,.0f} jobs/s, end-to-end"
                                    f" {r['end_to_end_jobs_per_s']:,.0f} jobs/s, {r['errors']} errors"
                                )
                finally:
                    api.stop_api()
            for system in steady:
                burn = results["burn_down"].get(system.name, {})
                estimate = burn.get("jobs_per_s") if isinstance(burn, dict) else None
                if not estimate:
                    continue
                with ui.step(f"steady state: {system.label}") as progress:
                    guarded(
                        ui,
                        f"steady state {system.label}",
                        results["steady_state"],
                        system.name,
                        lambda s=system, e=estimate, p=progress: measure.steady_state(
                            s,
                            e,
                            probe_seconds=profile.probe_seconds,
                            hold_seconds=profile.hold_seconds,
                            latency_seconds=profile.latency_seconds,
                            progress=p,
                            log=ui.log,
                        ),
                    )
            if api and not args.skip_locust:
                with ui.step("API load test (Locust)") as progress:
                    guarded(
                        ui,
                        "API load test",
                        results,
                        "api_load",
                        lambda p=progress: api_load.load_test(
                            api, list(profile.locust_rates), profile.locust_seconds, p, ui.log
                        ),
                    )
            if not args.skip_driver:
                with ui.step("driver: psycopg 3 vs asyncpg"):
                    guarded(ui, "driver comparison", results, "driver", lambda: driver(ctx, profile))
            if not args.skip_retention:
                with ui.step("retention: 0 vs 1,000,000 finished jobs"):
                    guarded(ui, "retention", results, "retention", lambda: retention(ctx, profile, ui))
        finally:
            redis.stop()
            pg.server.cleanup()
    results["meta"]["load_average_end"] = load_average()
    results["meta"]["cpu_times_end"] = cpu_times()
    results["meta"]["duration_seconds"] = round(time.time() - started, 1)
    results["log"] = ui.lines
    out = args.out or (
        RESULTS / f"{datetime.now(UTC):%Y-%m-%d}.json" if not args.smoke else run_dir / "results.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    console.print(f"results: {out} ({results['meta']['duration_seconds'] / 60:.1f} min); logs in {run_dir}")
    return out


def driver(ctx: Context, profile: Profile) -> dict[str, Any]:
    url = ctx.pg.create_database("driver")
    env = {"CONVEYOR_DATABASE_URL": url, "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    subprocess.run(
        [str(PROJECT_PYTHON), "-m", "conveyor", "migrate"], env=env, check=True, capture_output=True
    )
    out = subprocess.run(
        [
            str(BENCH_PYTHON),
            str(BENCH / "driver.py"),
            "--url",
            url,
            "--jobs",
            str(profile.driver_jobs),
            "--rounds",
            str(profile.driver_rounds),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if out.returncode != 0:
        raise BenchError(f"driver.py failed:\n{out.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def retention(ctx: Context, profile: Profile, ui: UI) -> dict[str, Any]:
    url = ctx.pg.create_database("retention")
    out_file = ctx.run_dir / "retention.json"
    argv = [
        str(PROJECT_PYTHON),
        str(BENCH / "retention.py"),
        "--url",
        url,
        "--jobs",
        str(profile.retention_jobs),
        "--history",
        str(profile.retention_history),
        "--rounds",
        "1",
        "--out",
        str(out_file),
    ]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout
    for line in proc.stdout:
        if line.strip() and "Warning" not in line and "user_runtime_dir" not in line:
            ui.log(f"retention: {line.strip()}")
    if proc.wait(timeout=900) != 0:
        raise BenchError("retention.py failed (see the log above)")
    result: dict[str, Any] = json.loads(out_file.read_text())
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="seconds-sized run of every part")
    parser.add_argument(
        "--only", type=lambda s: s.split(","), help="systems, e.g. conveyor,conveyor-api,pgqueuer"
    )
    parser.add_argument("--processes", type=int, default=2, help="worker processes per system")
    parser.add_argument("--slots", type=int, default=50, help="concurrent jobs per worker process")
    parser.add_argument("--skip-locust", action="store_true")
    parser.add_argument("--skip-driver", action="store_true")
    parser.add_argument("--skip-retention", action="store_true")
    parser.add_argument("--out", type=Path, help="results JSON (default bench/results/<date>.json)")
    parser.add_argument("--docs", action="store_true", help="regenerate docs/benchmarks.md and charts after")
    parser.add_argument("--tmp", default="/tmp", help="parent of the run directory")
    args = parser.parse_args()
    for python in (PROJECT_PYTHON, BENCH_PYTHON):
        if not python.exists():
            sys.exit(f"{python} is missing: run `make bench` (it creates both environments)")
    out = run(args)
    if args.smoke:
        # The smoke run is a check (make test runs it): any failed measurement fails it.
        results = json.loads(out.read_text())
        failed = [
            f"{section}/{name}" if name else section
            for section, value in results.items()
            if isinstance(value, dict)
            for name, entry in ([("", value)] if "error" in value else value.items())
            if isinstance(entry, dict) and "error" in entry
        ]
        if failed:
            sys.exit(f"smoke run: failed measurements: {', '.join(failed)} (see {out})")
    if args.docs:
        import report

        report.render(out)


if __name__ == "__main__":
    main()
