"""The measurements every system goes through: burn-down, steady state, pickup latency."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from catalog import ConveyorAPI, System
from harness import BenchError, Proc, percentiles, run_to_end, running, spawn, wait_until

Progress = Callable[[float, float], None]  # (completed, total)


def _quiet(completed: float, total: float) -> None:
    pass


def start_workers(system: System, tag: str, count: int | None = None) -> list[Proc]:
    assert system.ctx
    logs = system.ctx.run_dir / "logs"
    return [
        spawn(f"{system.name}-{tag}-worker{i}", system.worker_argv(i), system.worker_env(i), logs)
        for i in range(count or system.ctx.budget.processes)
    ]


def wait_ready(workers: list[Proc], timeout: float = 60) -> None:
    def ready() -> bool:
        for w in workers:
            if not w.alive():
                raise BenchError(f"{w.name} exited with {w.popen.returncode}:\n{w.tail()}")
        return all(w.ready for w in workers)

    wait_until(ready, timeout, 0.05, "workers to start")


def total_done(workers: list[Proc]) -> int:
    return sum(w.done for w in workers)


def burn_down(system: System, jobs: int, progress: Progress = _quiet, timeout: float = 240) -> dict[str, Any]:
    """Pre-enqueue ``jobs`` no-op jobs, then start the workers and time them to the last one.

    The clock starts at the first job's start (worker start-up is not counted) and stops when
    the last job has run *and* the system reports nothing outstanding (its completion, ack or
    delete written), whichever is later.
    """
    assert system.ctx
    logs = system.ctx.run_dir / "logs"
    system.purge()
    enq = run_to_end(f"{system.name}-enqueue", system.enqueue_argv(jobs), system.env(), logs, timeout=300)
    enqueued = enq.results[-1]
    if system.outstanding() < jobs:
        raise BenchError(f"{system.name}: enqueued {jobs} but only {system.outstanding()} are waiting")
    workers = start_workers(system, "burn")
    timed_out = False
    with running(workers):
        deadline = time.time() + timeout
        while (done := total_done(workers)) < jobs:
            progress(done, jobs)
            for w in workers:
                if not w.alive():
                    raise BenchError(f"{w.name} exited with {w.popen.returncode}:\n{w.tail()}")
            if time.time() > deadline:
                timed_out = True
                break
            time.sleep(0.02)
        progress(total_done(workers), jobs)
        settled = time.time()
        if not timed_out:
            settled = wait_until(lambda: system.outstanding() == 0, 60, 0.005, f"{system.name} to settle")
        cpu = [w.cpu_seconds() for w in workers]
    done = total_done(workers)
    first = min(w.first for w in workers if w.first is not None)
    last = max(w.last for w in workers if w.last is not None)
    end = max(last, settled)
    seconds = end - first
    return {
        "jobs": jobs,
        "completed": done,
        "seconds": round(seconds, 3),
        "jobs_per_s": round(done / seconds, 1),
        "timed_out": timed_out,
        "settle_ms": round(max(0.0, settled - last) * 1000, 1),
        # worker processes' CPU from ready to settled (start-up excluded) per 1,000 jobs done
        "worker_cpu_s_per_1000": (
            round(
                sum(c - (w.cpu_at_ready or 0.0) for c, w in zip(cpu, workers, strict=True) if c)
                / done
                * 1000,
                3,
            )
            if done and all(cpu) and all(w.cpu_at_ready is not None for w in workers)
            else None
        ),
        "enqueue_seconds": round(enqueued["seconds"], 3),
        "enqueue_jobs_per_s": round(jobs / enqueued["seconds"], 1),
    }


def _done_at(workers: list[Proc], at: float) -> int:
    return sum(max((n for t, n in w.done_series if t <= at), default=0) for w in workers)


def _produced_at(producer: Proc, at: float) -> int:
    return max((n for t, n in producer.produced_series if t <= at), default=0)


class Crew:
    """A system's workers kept running across the steps of a steady-state run."""

    def __init__(self, system: System, tag: str) -> None:
        self.system, self.tag = system, tag
        self.workers: list[Proc] = []
        self.produced = 0  # by every step so far
        self.restarts = -1

    def start(self) -> None:
        self.stop()
        self.system.purge()
        self.workers = start_workers(self.system, f"{self.tag}{self.restarts + 1}")
        self.restarts += 1
        self.produced = 0
        wait_ready(self.workers)
        time.sleep(1.0)  # connections, LISTEN, first polls

    def stop(self) -> None:
        with running(self.workers):
            pass
        self.workers = []

    @property
    def done(self) -> int:
        return total_done(self.workers)

    def drained(self, timeout: float) -> bool:
        deadline = time.time() + timeout
        while self.done < self.produced:
            if time.time() > deadline:
                return False
            time.sleep(0.02)
        return True

    def check(self) -> None:
        for w in self.workers:
            if not w.alive():
                raise BenchError(f"{w.name} exited with {w.popen.returncode}:\n{w.tail()}")


def run_rate(
    crew: Crew, rate: float, seconds: float, tag: str, progress: Progress = _quiet
) -> dict[str, Any]:
    """Produce at ``rate`` jobs/s for ``seconds`` into the crew's system; report what happened.

    Starts from an empty queue: the crew is restarted (and the system purged) when the previous
    step left more than it could work off in 15 s.
    """
    system = crew.system
    assert system.ctx
    logs = system.ctx.run_dir / "logs"
    if not crew.workers or not crew.drained(15):
        crew.start()
    base = crew.done
    producer = spawn(f"{system.name}-{tag}-producer", system.produce_argv(rate, seconds), system.env(), logs)
    with running([producer]):
        started = time.time()
        while producer.alive():
            progress(min(time.time() - started, seconds), seconds)
            if time.time() - started > seconds + 60:
                raise BenchError(f"{producer.name} overran by a minute")
            crew.check()
            time.sleep(0.05)
        time.sleep(0.1)
        if producer.popen.returncode != 0:
            raise BenchError(f"{producer.name} exited with {producer.popen.returncode}:\n{producer.tail()}")
    progress(seconds, seconds)
    final = next((r for r in producer.results if r.get("final")), None)
    if final is None:
        raise BenchError(f"{producer.name} did not report its final count:\n{producer.tail()}")
    produced = final["produced"]
    crew.produced += produced
    first_t, ended = final["t0"], final["t"]
    # Let the workers finish what is queued (bounded), for the latency samples.
    drained = crew.drained(10)
    workers = crew.workers

    def backlog(at: float) -> int:
        return _produced_at(producer, at) - (_done_at(workers, at) - base)

    warmup = min(2.0, seconds / 4)
    samples = [lat for w in workers for t, lat in w.samples if first_t + warmup <= t <= ended]
    lat = percentiles(samples)
    return {
        "target_rate": round(rate, 1),
        "seconds": round(ended - first_t, 2),
        "produced": produced,
        "achieved_rate": round(produced / max(ended - first_t, 1e-9), 1),
        "backlog_mid": backlog(first_t + (ended - first_t) / 2),
        "backlog_end": backlog(ended),
        "drained_after": drained,
        "latency_ms": {k: (round(v * 1000, 2) if v is not None else None) for k, v in lat.items()},
        "latency_samples": len(samples),
    }


def sustained(step: dict[str, Any]) -> bool:
    """Kept up: the producer reached the rate, and less than a second's worth of jobs (or 100)
    waits at the end - a system short by even a few percent piles up more than that."""
    rate = step["target_rate"]
    return step["achieved_rate"] >= 0.97 * rate and step["backlog_end"] <= max(rate * 1.0, 100)


def steady_state(
    system: System,
    estimate: float,
    *,
    probe_seconds: float,
    hold_seconds: float,
    latency_seconds: float,
    progress: Progress = _quiet,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Find the highest rate held for ``hold_seconds`` without a growing queue, then measure
    pickup latency at half of it.

    Rates rise in short probe steps from 60% of the burn-down rate (``estimate``), or fall
    from there until one keeps up; the best that kept up is then held for ``hold_seconds``,
    stepping down by 20% if it does not hold (at most three times more).
    """
    crew = Crew(system, "steady")
    steps: list[dict[str, Any]] = []
    planned = 4 * probe_seconds + 2 * hold_seconds + latency_seconds
    elapsed = 0.0

    def sub(base: float) -> Progress:
        return lambda c, t: progress(min(base + c, planned), planned)

    def step(rate: float, seconds: float, phase: str) -> dict[str, Any]:
        nonlocal elapsed
        result = run_rate(crew, rate, seconds, f"{phase}{int(rate)}", sub(elapsed))
        elapsed += seconds
        result["phase"] = phase
        result["sustained"] = sustained(result)
        steps.append(result)
        log(
            f"{system.label}: {phase} {rate:,.0f}/s for {seconds:g}s: achieved {result['achieved_rate']:,.0f}/s,"
            f" backlog {result['backlog_end']:,} -> {'kept up' if result['sustained'] else 'fell behind'}"
        )
        return result

    try:
        best = 0.0
        rate = 0.6 * estimate
        if step(rate, probe_seconds, "probe")["sustained"]:
            best = rate
            for factor in (0.8, 1.0):
                rate = factor * estimate
                if not step(rate, probe_seconds, "probe")["sustained"]:
                    break
                best = rate
        else:
            for factor in (0.4, 0.25):
                rate = factor * estimate
                if step(rate, probe_seconds, "probe")["sustained"]:
                    best = rate
                    break
            else:
                best = 0.15 * estimate
        held = 0.0
        for _ in range(4):
            if step(best, hold_seconds, "hold")["sustained"]:
                held = best
                break
            best *= 0.8
        latency = step(held / 2, latency_seconds, "latency") if held else None
    finally:
        crew.stop()
    progress(planned, planned)
    return {
        "sustained_rate": round(held, 1),
        "latency_rate": round(held / 2, 1),
        "latency_ms": latency["latency_ms"] if latency else None,
        "latency_samples": latency["latency_samples"] if latency else 0,
        "steps": steps,
    }


def api_end_to_end(
    system: ConveyorAPI,
    jobs: int,
    batch: int,
    clients: int,
    progress: Progress = _quiet,
    timeout: float = 240,
) -> dict[str, Any]:
    """Submit ``jobs`` through the HTTP API (``batch`` per request, ``clients`` at once) while
    the workers run; time from the first request to the last job completed."""
    assert system.ctx
    logs = system.ctx.run_dir / "logs"
    system.purge()
    workers = start_workers(system, f"api{batch}")
    with running(workers):
        wait_ready(workers)
        time.sleep(1.0)
        submitter = spawn(
            f"conveyor-api-submit{batch}", system.submit_argv(jobs, batch, clients), system.env(), logs
        )
        with running([submitter]):
            deadline = time.time() + timeout
            while (done := total_done(workers)) < jobs or submitter.alive():
                progress(done, jobs)
                if time.time() > deadline:
                    raise BenchError(f"API end-to-end run did not finish within {timeout:.0f}s")
                if not submitter.alive() and submitter.popen.returncode != 0:
                    raise BenchError(f"{submitter.name} failed:\n{submitter.tail()}")
                time.sleep(0.02)
            time.sleep(0.1)
        settled = wait_until(lambda: system.outstanding() == 0, 60, 0.005, "conveyor to settle")
        progress(jobs, jobs)
    submitted = submitter.results[-1]
    last = max(w.last for w in workers if w.last is not None)
    end = max(last, settled)
    samples = [lat for w in workers for _, lat in w.samples]
    lat = percentiles(samples)
    return {
        "jobs": jobs,
        "batch": batch,
        "clients": clients,
        "submitted": submitted["submitted"],
        "errors": submitted["errors"],
        "requests": submitted["requests"],
        "submit_seconds": round(submitted["seconds"], 3),
        "submit_jobs_per_s": round(submitted["submitted"] / submitted["seconds"], 1),
        "request_ms": {"p50": round(submitted["p50"] * 1000, 2), "p95": round(submitted["p95"] * 1000, 2)},
        "end_to_end_seconds": round(end - submitted["t0"], 3),
        "end_to_end_jobs_per_s": round(total_done(workers) / (end - submitted["t0"]), 1),
        "submit_to_start_ms": {k: (round(v * 1000, 2) if v is not None else None) for k, v in lat.items()},
    }
