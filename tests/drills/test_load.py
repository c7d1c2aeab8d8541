"""The Locust smoke run in `make test`: the load reaches the API without a single error, and a
crossed latency threshold fails the run naming it. The SLO latency itself (p95 < 200 ms) is held
by `make load`, not here: tests never assert timing on a shared machine (docs/benchmarks.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from chaos.environment import environment
from load.run import locust

pytestmark = pytest.mark.timeout(240)


def test_smoke_has_no_errors_and_a_crossed_threshold_fails_the_run(drill_dir: Path) -> None:
    with environment(drill_dir / "env", alerting=False, CONVEYOR_RATE_LIMIT="100000/second") as env:
        # A threshold no real request meets: the run must fail, and say which thresholds crossed.
        result = locust(
            env.stack.api().url, env.stack.admin_key, "smoke", drill_dir / "locust", LOAD_P95_MS="0.001"
        )
    assert result["exit_code"] == 1
    crossed = result["crossed"]
    assert any(line.startswith("reads: GET /api/v1/jobs/{id} p95") for line in crossed), crossed
    assert any(line.startswith("submits: POST /api/v1/jobs p95") for line in crossed), crossed
    # The error-ratio threshold (< 0.1 %) held: every request succeeded.
    assert not any(line.startswith("error ratio") for line in crossed), crossed
    aggregated = result["requests"]["Aggregated"]
    assert aggregated["requests"] > 0
    assert aggregated["failures"] == 0
