"""Conveyor's Chaos Toolkit probes and actions (``"provider": {"type": "python", "module":
"chaos.conveyor_chaos", ...}`` in chaos/experiments/*.json).

They act on the Environment chaos/run.py started and registered here with ``use()``; every
probe answers from the real system (the API, the database, Alertmanager's notifications), and
an action that cannot inject its fault raises, so the experiment fails instead of reporting a
recovery it never saw.
"""

from __future__ import annotations

import json
import signal
import time

import httpx
from scripts.dr.load import Acknowledged, LoadGenerator
from scripts.dr.postgres import DrillError, poll
from scripts.dr.stack import Child

from chaos.environment import Environment
from chaos.prometheus import alert_diagnosis

_current: Environment | None = None


def use(environment: Environment | None) -> None:
    global _current
    _current = environment


def env() -> Environment:
    if _current is None:
        raise DrillError("no chaos environment: run experiments through `python -m chaos.run`")
    return _current


def _api() -> httpx.Client:
    e = env()
    return httpx.Client(
        base_url=e.stack.api().url + "/api/v1",
        headers={"Authorization": f"Bearer {e.stack.admin_key}"},
        timeout=5,
    )


# -- probes ------------------------------------------------------------------------------------


def all_processes_ready() -> bool:
    """Every Conveyor process alive and answering /readyz."""
    e = env()
    return all(child.alive() and child.ready() for child in e.stack.children)


def api_accepts_and_completes_a_job(timeout: float = 60) -> bool:
    """A new job is accepted and a worker completes it (within ``timeout`` seconds)."""

    def submit() -> int | None:
        try:
            with _api() as api:
                response = api.post("/jobs", json={"type": "noop", "payload": {"probe": True}})
            return int(response.json()["id"]) if response.status_code == 201 else None
        except httpx.HTTPError:
            return None

    def done(job_id: int) -> bool:
        try:
            with _api() as api:
                return bool(api.get(f"/jobs/{job_id}").json()["state"] == "succeeded")
        except (httpx.HTTPError, KeyError):
            return False

    job_id = poll(submit, timeout=timeout, what="the API to accept a job", interval=0.2)
    poll(lambda: done(job_id), timeout=timeout, what=f"job {job_id} to succeed", interval=0.2)
    return True


def acknowledged_jobs_accounted(timeout: float = 90) -> dict[str, int]:
    """Every job the experiment's load and submissions got a 201 for is in the database and
    ends in a final state; returns the counts (the tolerance checks ``missing`` == 0)."""
    e = env()
    acked = [a for load in e.loads for a in load.acked()]
    final = {"succeeded", "dead", "cancelled"}

    def states() -> dict[str, str]:
        # Load jobs carry a token; sleep jobs (whose payload admits no extra field) their id.
        rows = e.database.sql("SELECT coalesce(payload->>'token', 'id:' || id), state FROM conveyor.jobs")
        return {str(token): str(state) for token, state in rows}

    def settled() -> tuple[dict[str, str]] | None:
        found = states()
        return None if any(found.get(a.token) not in final for a in acked if a.token in found) else (found,)

    (found,) = poll(settled, timeout=timeout, what="acknowledged jobs to reach a final state", interval=0.2)
    missing = [a.job_id for a in acked if a.token not in found]
    result = {
        "acknowledged": len(acked),
        "missing": len(missing),
        "succeeded": sum(found.get(a.token) == "succeeded" for a in acked),
    }
    e.findings["accounting"] = result
    return result


def nothing_acknowledged_lost(timeout: float = 90) -> bool:
    """The hypothesis: no job the API acknowledged is missing or stuck."""
    return acknowledged_jobs_accounted(timeout)["missing"] == 0


def alert_notified(alertname: str, since_mark: str, timeout: float = 120) -> float:
    """Wait for Alertmanager to notify ``alertname`` (firing); return seconds since the mark."""
    e = env()
    notifications = e.notifications
    if notifications is None:
        raise DrillError("alerting is not running in this environment")
    start = e.marks[since_mark]

    def notified() -> float | None:
        # Alertmanager's first notification of an alert is its firing one (PagerDuty's or
        # Slack's body, per the committed routing); the name is in either.
        for _path, body in notifications.snapshot():
            if alertname in json.dumps(body):
                return time.time() - start
        return None

    try:
        latency = float(
            poll(notified, timeout=timeout, what=f"Alertmanager to notify {alertname}", interval=0.2)
        )
    except DrillError as exc:
        raise DrillError(f"{exc}\n{_why_no_alert(alertname, start)}") from None
    e.findings.setdefault("alerts", {})[alertname] = round(latency, 1)
    return latency


def rescued_from_logs() -> int:
    """The jobs the schedulers rescued (their ``leases_expired`` log lines), replaced ones included."""
    rescued = 0
    for log in {c.log for c in env().stack.children if c.command == "scheduler"}:
        for line in log.read_text(errors="replace").splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict) and event.get("event") == "leases_expired":
                rescued += int(event.get("jobs", 0))
    return rescued


def _why_no_alert(alertname: str, since: float) -> str:
    """What a missing notification's investigation starts from: Prometheus' view of the rule,
    its input series and the targets, what the system did, and what Alertmanager did send."""
    e = env()
    lines = []
    if e.prometheus is not None:
        lines.append(alert_diagnosis(e.prometheus.url, alertname, since))
    run_again = e.database.count("SELECT count(*) FROM conveyor.jobs WHERE attempts > 1")
    lines.append(
        f"  scheduler logs: {rescued_from_logs()} jobs rescued (leases_expired); "
        f"database: {run_again} jobs on their second attempt or later"
    )
    sent = [
        sorted({a.get("labels", {}).get("alertname") for a in body.get("alerts", [])} - {None})
        or body.get("payload", {}).get("summary")
        for _path, body in (e.notifications.snapshot() if e.notifications else [])
    ]
    lines.append(f"  notifications received: {sent or 'none'}")
    return "\n".join(lines)


def no_alert_notified(alertname: str) -> bool:
    """True when Alertmanager has not notified ``alertname`` (an expected silence)."""
    e = env()
    assert e.notifications is not None
    quiet = all(alertname not in str(body) for _p, body in e.notifications.snapshot())
    e.findings.setdefault("silent", []).append(alertname)
    return quiet


# -- actions -----------------------------------------------------------------------------------


def start_load(rate: float = 10, job_type: str = "noop", seconds: float | None = None) -> int:
    """Steady submits through the API, each acknowledged one logged (checked later)."""
    e = env()
    payload = {"seconds": seconds} if seconds is not None else {}
    if job_type == "sleep" and seconds is None:
        raise DrillError("start_load: a sleep load needs `seconds`")
    load = LoadGenerator(
        e.stack.api().url,
        e.stack.admin_key,
        e.root / f"acknowledged-{len(e.loads)}.jsonl",
        rate=rate,
        job_type=job_type,
        payload=payload,
    )
    e.loads.append(load.start())
    return len(e.loads)


def _outcomes() -> dict[str, int]:
    """The submits of every load of the experiment so far, by outcome."""
    outcomes: dict[str, int] = {}
    for load in env().loads:
        for outcome, count in load.outcome_counts().items():
            outcomes[outcome] = outcomes.get(outcome, 0) + count
    return outcomes


def load_had_no_errors() -> dict[str, int]:
    """Every submit of the experiment's load was acknowledged (raises naming the other outcomes)."""
    outcomes = _outcomes()
    if set(outcomes) - {"201"}:
        raise DrillError(f"submits failed during the fault: {outcomes}")
    return outcomes


def stop_load() -> int:
    e = env()
    for load in e.loads:
        load.stop()
    return sum(len(load.acked()) for load in e.loads)


def submit_sleepers(count: int, seconds: float) -> int:
    """``count`` sleep jobs, logged as acknowledged; waits until all run at once."""
    e = env()
    load = LoadGenerator(e.stack.api().url, e.stack.admin_key, e.root / "sleepers.jsonl", job_type="sleep")
    with _api() as api:
        for _ in range(count):
            response = api.post("/jobs", json={"type": "sleep", "payload": {"seconds": seconds}})
            if response.status_code != 201:
                raise DrillError(f"could not submit a sleep job: {response.status_code} {response.text}")
            job_id = int(response.json()["id"])
            load.acknowledged.append(Acknowledged(f"id:{job_id}", job_id, time.time()))
    e.loads.append(load)

    def running() -> bool:
        running = e.database.count(
            "SELECT count(*) FROM conveyor.jobs WHERE type = 'sleep' AND state = 'running'"
        )
        return running >= count

    poll(
        running,
        timeout=60,
        what=f"{count} sleep jobs running at once (steady state for the fault)",
        interval=0.2,
    )
    return count


def signal_process(command: str, signame: str, mark: str = "fault") -> int:
    """Send ``signame`` (SIGKILL, SIGTERM) to the first live ``command`` process; mark the time."""
    e = env()
    targets = e.processes(command)
    if not targets:
        raise DrillError(f"no live {command} process to signal: the fault cannot be injected")
    victim = targets[0]
    assert victim.popen is not None
    pid = victim.popen.pid
    e.marks[mark] = time.time()
    victim.signal(getattr(signal, signame))
    if signame == "SIGKILL":
        victim.popen.wait(10)
    return pid


def wait_exit(command: str, timeout: float = 60) -> int:
    """Wait for a signalled ``command`` process to exit by itself (a drain); its exit code."""
    e = env()
    exited = poll(
        lambda: next((c for c in e.stack.children if c.command == command and not c.alive()), None),
        timeout=timeout,
        what=f"the signalled {command} to exit",
        interval=0.2,
    )
    e.findings["drain_seconds"] = round(time.time() - e.marks["fault"], 1)
    assert exited.popen is not None
    return int(exited.popen.returncode)


def replace_dead(command: str) -> int:
    """The orchestrator's part (a Deployment's controller): every exited ``command`` process is
    replaced by a new one on the same port; waits until ready."""
    e = env()
    dead = [c for c in e.stack.children if c.command == command and not c.alive()]
    if not dead:
        raise DrillError(f"no exited {command} process to replace")
    for child in dead:
        new = e.stack.replace(child)
        poll(new.ready, timeout=120, what=f"the replacement {command} to be ready", interval=0.2)
    return len(dead)


def scheduler_leader_kill() -> int:
    """SIGKILL the scheduler process that holds the maintenance/leader lease."""
    e = env()
    for child in e.processes("scheduler"):
        metrics = httpx.get(f"{child.url}/metrics", timeout=5).text
        if any(
            line.startswith("conveyor_scheduler_leader ") and line.rstrip().endswith("1.0")
            for line in metrics.splitlines()
        ):
            e.marks["fault"] = time.time()
            child.signal(signal.SIGKILL)
            assert child.popen is not None
            child.popen.wait(10)
            return child.port
    raise DrillError("no scheduler reports conveyor_scheduler_leader 1: cannot find the leader to kill")


def scheduler_leader_elected(timeout: float = 90) -> float:
    """A surviving scheduler takes the lease; returns seconds since the fault."""
    e = env()

    def leader() -> bool:
        for child in e.processes("scheduler"):
            try:
                text = httpx.get(f"{child.url}/metrics", timeout=5).text
            except httpx.HTTPError:
                continue
            if any(
                line.startswith("conveyor_scheduler_leader ") and line.rstrip().endswith("1.0")
                for line in text.splitlines()
            ):
                return True
        return False

    poll(leader, timeout=timeout, what="a surviving scheduler to lead", interval=0.2)
    took = time.time() - e.marks["fault"]
    e.findings["leader_takeover_seconds"] = round(took, 1)
    return took


def restart_postgres(mode: str = "fast") -> float:
    """pg_ctl restart of the database; returns the seconds it was down."""
    e = env()
    e.marks["fault"] = time.time()
    e.database.stop(mode)
    e.database.start()
    return time.time() - e.marks["fault"]


def wait_seconds(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def recovery_seconds(since_mark: str = "fault") -> float:
    """Wait until the system is whole again — every acknowledged job final, a new job
    completing — and return the seconds since the mark (the fault, or when it ended)."""
    e = env()
    acknowledged_jobs_accounted()
    api_accepts_and_completes_a_job()
    took = time.time() - e.marks[since_mark]
    e.findings["recovered_seconds"] = round(took, 1)
    return took


def _isolated_worker() -> Child:
    e = env()
    inside = [c for c in e.stack.children if e.netns and c.host == e.netns.inside_ip]
    if not inside or e.netns is None:
        raise DrillError("no worker in a network namespace: the fault cannot be injected")
    return inside[0]


def cut_isolated_worker_from_postgres() -> str:
    """nftables in the worker's namespace drops every packet to PostgreSQL (only that worker)."""
    e = env()
    worker = _isolated_worker()
    assert e.netns is not None
    if not worker.ready():
        raise DrillError("the isolated worker is not ready before the fault: no steady state")
    e.marks["fault"] = time.time()
    e.netns.drop_tcp_to(e.netns.host_ip, e.database.port)
    return e.netns.name


def isolated_worker_not_ready(timeout: float = 60) -> float:
    """The cut-off worker reports not ready (its readiness checks the database); seconds taken."""
    e = env()
    worker = _isolated_worker()
    poll(
        lambda: worker.alive() and not worker.ready(),
        timeout=timeout,
        what="the cut-off worker to report not ready",
        interval=0.2,
    )
    took = time.time() - e.marks["fault"]
    e.findings["not_ready_after_seconds"] = round(took, 1)
    return took


def heal_isolated_worker() -> bool:
    e = env()
    assert e.netns is not None
    e.netns.heal()
    e.marks["healed"] = time.time()
    return True


def isolated_worker_ready_again(timeout: float = 120) -> float:
    """After the rule is gone, the same worker process becomes ready by itself."""
    e = env()
    worker = _isolated_worker()
    poll(worker.ready, timeout=timeout, what="the healed worker to be ready again", interval=0.2)
    took = time.time() - e.marks["healed"]
    e.findings["ready_again_after_heal_seconds"] = round(took, 1)
    return took


def stop_redis() -> bool:
    """Redis goes away (crash, eviction of its pod): the rate limits lose their shared counters."""
    e = env()
    if e.redis is None or not e.redis.alive():
        raise DrillError("no running redis-server in this environment: the fault cannot be injected")
    e.marks["fault"] = time.time()
    e.redis.stop()
    return True


def fill_database_disk() -> int:
    """Fill PostgreSQL's volume (data directory and WAL) to the last page; bytes written."""
    e = env()
    if e.volume is None:
        raise DrillError(
            "PostgreSQL's data directory is not on a volume of the experiment's own: "
            "the fault cannot be injected"
        )
    e.marks["fault"] = time.time()
    filled = e.volume.fill()
    if e.volume.free_bytes() > 0:
        raise DrillError(f"the volume still has {e.volume.free_bytes()} bytes free after filling")
    e.findings["filled_mb"] = round(filled / 2**20, 1)
    return filled


def submits_refused(timeout: float = 60) -> float:
    """The API answers submits with 503 now that the database cannot write (a fault that
    refuses nothing was not injected); seconds from the fault to the first 503. Any answer but
    201 and 503 fails the experiment (a 500 would be an unclear refusal)."""
    e = env()

    def refused() -> bool:
        found = _outcomes()
        unexpected = {k: v for k, v in found.items() if k not in {"201", "503"}}
        if unexpected:
            raise DrillError(f"submits answered other than 201 or 503 while the disk is full: {found}")
        return "503" in found

    poll(
        refused,
        timeout=timeout,
        what="the API to refuse a submit with 503 while the disk is full",
        interval=0.2,
    )
    took = time.time() - e.marks["fault"]
    e.findings["first_503_after_seconds"] = round(took, 1)
    return took


def free_database_disk() -> int:
    """The operator frees space (the ballast goes); marks ``freed``; bytes freed."""
    e = env()
    if e.volume is None:
        raise DrillError("no volume of the experiment's own to free")
    e.marks["freed"] = time.time()
    return e.volume.release()


def load_answered_only(statuses: list[int]) -> dict[str, int]:
    """Every submit of the experiment's load got one of ``statuses`` (raises naming the others);
    the counts, recorded."""
    outcomes = _outcomes()
    allowed = {str(status) for status in statuses}
    if set(outcomes) - allowed:
        raise DrillError(f"submits answered outside {sorted(allowed)}: {outcomes}")
    env().findings["submits"] = dict(sorted(outcomes.items()))
    return outcomes


def replace_every_dead() -> int:
    """Rollback: whatever process the experiment left dead is replaced."""
    e = env()
    dead = [c for c in e.stack.children if not c.alive()]
    for child in dead:
        e.stack.replace(child)
    if e.netns is not None:
        e.netns.heal()
    return len(dead)
