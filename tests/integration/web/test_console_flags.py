"""The console's dark-launched /flags page: shown (and linked) only to the users the flag file
targets — evaluated per request with the signed-in user as context."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.web.conftest import PASSWORD, console_client, sign_in
from tests.support import REPO, Process, free_port, process_env

ADMINS_ONLY = {
    "flags": {
        "console-flags-page": {
            "state": "ENABLED",
            "variants": {"on": True, "off": False},
            "defaultVariant": "off",
            "targeting": {"if": [{"==": [{"var": "role"}, "admin"]}, "on", "off"]},
        }
    }
}


@pytest.fixture
def flagged_console(database_url: str, api_server: Process, tmp_path: Path) -> Iterator[Process]:
    flag_file = tmp_path / "flags.json"
    flag_file.write_text(json.dumps(ADMINS_ONLY))
    port = free_port()
    env = process_env(
        database_url,
        CONVEYOR_API_URL=api_server.base_url,
        CONVEYOR_COOKIE_SECURE="false",
        CONVEYOR_FLAGS_FILE=str(flag_file),
    )
    proc = Process(["web", "--port", str(port)], env, tmp_path / "web.log", port=port).start()
    proc.wait_ready()
    yield proc
    proc.stop()


async def test_the_flags_page_is_dark_launched_for_admins_only(
    flagged_console: Process, user_factory: Callable[..., Any]
) -> None:
    for role, shown in (("admin", True), ("viewer", False)):
        email = await user_factory(role)
        with console_client(flagged_console.base_url) as http:
            assert sign_in(http, email, PASSWORD).status_code == 303
            flags_page = http.get("/flags")
            overview = http.get("/").text
        if shown:
            assert flags_page.status_code == 200 and "webhook-deliveries" in flags_page.text
            assert 'href="/flags"' in overview
        else:
            assert flags_page.status_code == 404
            assert 'href="/flags"' not in overview


def test_a_malformed_flag_file_stops_the_console_naming_it(tmp_path: Path, database_url: str) -> None:
    bad = tmp_path / "flags.json"
    bad.write_text('{"flags": {"x": {"state": "ENABLED", "variants": []}}}')
    refused = subprocess.run(
        [sys.executable, "-m", "conveyor", "web", "--port", str(free_port())],
        env=process_env(database_url, CONVEYOR_FLAGS_FILE=str(bad)),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=False,
    )
    assert refused.returncode == 2
    assert f"CONVEYOR_FLAGS_FILE: {bad} is not a valid flagd flag file" in refused.stderr
