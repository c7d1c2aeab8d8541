"""scripts/delivery/smoke.py, the post-deploy gate, against real `conveyor` processes: it passes
when a submitted job runs and fails, naming why, when no worker runs it or the API is down."""

from __future__ import annotations

from collections.abc import Callable

from tests.delivery.conftest import REPO_ROOT, run
from tests.support import Process, free_port

SMOKE = REPO_ROOT / "scripts/delivery/smoke.py"


def smoke(url: str, api_key: str, timeout: str) -> tuple[int, str, str]:
    result = run(
        REPO_ROOT / ".venv/bin/python",
        SMOKE,
        "--url",
        url,
        "--timeout",
        timeout,
        env={"CONVEYOR_SMOKE_API_KEY": api_key},
    )
    return result.returncode, result.stdout.strip(), result.stderr.strip()


async def test_the_gate_passes_only_when_a_worker_runs_the_job(
    spawn: Callable[..., Process], admin_key: str
) -> None:
    api = spawn("api").wait_ready()

    status, _, err = smoke(api.base_url, "cvk_not-a-key", "10")
    assert status == 1 and err.startswith("smoke: FAILED:") and "401" in err

    status, _, err = smoke(api.base_url, admin_key, "5")  # no worker yet
    assert status == 1
    assert "still queued at the deadline: no worker ran it" in err

    spawn("worker").wait_ready()
    status, out, err = smoke(api.base_url, admin_key, "60")
    assert status == 0, err
    assert out.startswith(f"smoke: {api.base_url} ready; job ") and out.endswith(" succeeded")


def test_an_unreachable_deployment_fails_the_gate() -> None:
    status, _, err = smoke(f"http://127.0.0.1:{free_port()}", "any", "2")
    assert status == 1 and "/readyz not ready" in err
