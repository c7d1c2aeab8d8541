"""Single sign-on through the console: a real OpenID Connect provider (oidc-provider-mock), the
API holding the attempt and checking the answer, the console keeping the session."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from oidc_provider_mock import run_server_in_thread

from tests.integration.web.conftest import console_client
from tests.support import Process, free_port


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with run_server_in_thread(port=free_port(), require_nonce=True) as server:
        yield f"http://127.0.0.1:{server.server_port}"


@pytest.fixture(scope="module")
def sso_stack(spawn_for_module: Callable[..., Process], provider: str) -> Process:
    """One API and one console signing in through the provider for the module's tests."""
    console_port = free_port()
    oidc = {
        "CONVEYOR_OIDC_ISSUER": provider,
        "CONVEYOR_OIDC_CLIENT_ID": "conveyor-console",
        "CONVEYOR_OIDC_CLIENT_SECRET": "not-checked-by-the-mock",
        # The provider sends the browser back to the console, which hands the answer to the API.
        "CONVEYOR_OIDC_REDIRECT_URL": f"http://127.0.0.1:{console_port}/sign-in/sso/callback",
    }
    api = spawn_for_module("api", env=oidc)
    console_env = {**oidc, "CONVEYOR_API_URL": api.base_url, "CONVEYOR_COOKIE_SECURE": "false"}
    console = spawn_for_module("web", port=console_port, env=console_env)
    api.wait_ready()
    return console.wait_ready()


@pytest.fixture
def sso_console(sso_stack: Process, clean_db: str) -> Process:
    return sso_stack


def test_sign_in_with_single_sign_on_lands_on_the_page_asked_for(sso_console: Process) -> None:
    with console_client(sso_console.base_url) as browser:
        page = browser.get("/sign-in", params={"next": "/jobs?state=dead"})
        assert 'href="/sign-in/sso?next=/jobs%3Fstate%3Ddead"' in page.text
        start = browser.get("/sign-in/sso", params={"next": "/jobs?state=dead"})
        assert start.status_code == 303
        back = httpx.post(start.headers["location"], data={"sub": "grace@example.com"})
        assert back.status_code in (302, 303), back.text
        callback = back.headers["location"]
        assert callback.startswith(f"{sso_console.base_url}/sign-in/sso/callback?")

        landed = browser.get(callback)
        assert landed.status_code == 303 and landed.headers["location"] == "/jobs?state=dead"
        jobs = browser.get("/jobs?state=dead")
        assert jobs.status_code == 200 and "grace@example.com" in jobs.text
        # The answer only counts in the browser that started the sign-in: pushed to someone
        # else's browser, it would sign them into this account.
        with console_client(sso_console.base_url) as other:
            pushed = other.get(callback)
            assert pushed.status_code == 403 and "not started in this browser" in pushed.text
            assert "conveyor_console" not in other.cookies
        # Used once: replayed in the same browser, the attempt is gone.
        assert browser.get(callback).status_code == 403


def test_an_answer_for_another_attempt_is_refused_by_the_api(sso_console: Process) -> None:
    with console_client(sso_console.base_url) as browser:
        start = browser.get("/sign-in/sso")
        back = httpx.post(start.headers["location"], data={"sub": "eve@example.com"})
        forged = back.headers["location"].replace("code=", "code=forged")
        refused = browser.get(forged)
        assert refused.status_code == 400 and "Single sign-on failed" in refused.text


def test_without_configuration_there_is_no_single_sign_on(console: Process) -> None:
    with console_client(console.base_url) as browser:
        assert "/sign-in/sso" not in browser.get("/sign-in").text
        assert browser.get("/sign-in/sso").status_code == 404
