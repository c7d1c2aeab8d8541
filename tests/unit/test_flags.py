"""Feature flags through OpenFeature and flagd's file provider: defaults without a file,
targeting by the user's role, a malformed file refused naming its path, the webhook kill switch."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conveyor import flags
from conveyor.handlers.registry import JobContext, JobError
from conveyor.handlers.webhook import Delivery, deliver


def flag_file(path: Path, definitions: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"$schema": "https://flagd.dev/schema/v0/flags.json", "flags": definitions}))
    return path


def boolean(default: str, targeting: dict[str, Any] | None = None) -> dict[str, Any]:
    flag: dict[str, Any] = {
        "state": "ENABLED",
        "variants": {"on": True, "off": False},
        "defaultVariant": default,
    }
    if targeting:
        flag["targeting"] = targeting
    return flag


@pytest.fixture(autouse=True)
def defaults_afterwards() -> Iterator[None]:
    yield
    flags.configure(None)


def test_without_a_file_every_flag_has_its_default() -> None:
    flags.configure(None)
    assert flags.enabled(flags.Flag.WEBHOOK_DELIVERIES) is True
    assert flags.enabled(flags.Flag.CONSOLE_FLAGS_PAGE, user_id=1, role="admin") is False


def test_targeting_evaluates_the_user_as_context(tmp_path: Path) -> None:
    admins_only = {"if": [{"==": [{"var": "role"}, "admin"]}, "on", "off"]}
    flags.configure(flag_file(tmp_path / "flags.json", {"console-flags-page": boolean("off", admins_only)}))
    assert flags.enabled(flags.Flag.CONSOLE_FLAGS_PAGE, user_id=1, role="admin") is True
    assert flags.enabled(flags.Flag.CONSOLE_FLAGS_PAGE, user_id=2, role="viewer") is False
    # A flag the file does not define keeps its default.
    assert flags.enabled(flags.Flag.WEBHOOK_DELIVERIES) is True


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not a valid flagd flag file"),
        (json.dumps({"flags": {"x": {"state": "SOMETIMES", "variants": {"a": 1}}}}), "state"),
        (json.dumps({"flags": {"x": {"state": "ENABLED", "variants": []}}}), "variants"),
        (json.dumps(["flags"]), "JSON object"),
    ],
)
def test_a_malformed_file_is_refused_naming_the_path(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "flags.json"
    path.write_text(content)
    with pytest.raises(flags.FlagFileError, match=message) as refused:
        flags.configure(path)
    assert str(path) in str(refused.value) and "CONVEYOR_FLAGS_FILE" in str(refused.value)


def test_a_missing_file_is_refused_naming_the_path(tmp_path: Path) -> None:
    with pytest.raises(flags.FlagFileError, match=r"cannot read .*nope\.json"):
        flags.configure(tmp_path / "nope.json")


def test_the_kill_switch_holds_webhook_deliveries(tmp_path: Path) -> None:
    flags.configure(flag_file(tmp_path / "flags.json", {"webhook-deliveries": boolean("off")}))
    delivery = Delivery.model_validate(
        {
            "endpoint_id": 1,
            "event_id": "evt_1",
            "event_type": "job.dead",
            "timestamp": datetime.now(UTC),
            "data": {},
        }
    )
    context = JobContext(
        job_id=1, attempt=1, max_attempts=5, queue="conveyor.webhooks", type="webhook", pool=object()
    )

    async def attempt() -> None:
        await deliver(delivery, context)

    with pytest.raises(JobError) as held:
        asyncio.run(attempt())
    # Held, not dropped: retried later; nothing was sent (the endpoint was never even read).
    assert held.value.retryable and held.value.kind == "held" and held.value.retry_after == 60


def test_the_shipped_flag_file_is_valid_and_states_the_defaults() -> None:
    shipped = Path(__file__).resolve().parents[2] / "deploy" / "flags" / "flags.json"
    flags.configure(shipped)
    assert flags.enabled(flags.Flag.WEBHOOK_DELIVERIES) is flags.DEFAULTS[flags.Flag.WEBHOOK_DELIVERIES]
    assert flags.enabled(flags.Flag.CONSOLE_FLAGS_PAGE, user_id=1, role="operator") is False
    assert flags.enabled(flags.Flag.CONSOLE_FLAGS_PAGE, user_id=1, role="admin") is True
    assert set(json.loads(shipped.read_text())["flags"]) == {flag.value for flag in flags.Flag}


def test_a_changed_file_flips_the_flag_without_a_restart(tmp_path: Path) -> None:
    path = flag_file(tmp_path / "flags.json", {"webhook-deliveries": boolean("on")})
    flags.configure(path)
    assert flags.enabled(flags.Flag.WEBHOOK_DELIVERIES) is True
    flag_file(path, {"webhook-deliveries": boolean("off")})
    later = path.stat().st_mtime_ns + 1_000_000_000
    os.utime(path, ns=(later, later))  # a new modification time, as a ConfigMap update gives
    assert flags.enabled(flags.Flag.WEBHOOK_DELIVERIES) is False
    path.write_text("{broken")  # a file that stops parsing keeps the last good flags
    os.utime(path, ns=(later + 1_000_000_000, later + 1_000_000_000))
    assert flags.enabled(flags.Flag.WEBHOOK_DELIVERIES) is False
