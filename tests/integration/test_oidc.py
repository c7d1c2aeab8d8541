"""OpenID Connect sign-in against a real OIDC provider (oidc-provider-mock, run locally)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from oidc_provider_mock import run_server_in_thread

from tests.integration.test_api import assert_problem
from tests.support import Process, free_port


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with run_server_in_thread(port=free_port(), require_nonce=True) as server:
        yield f"http://127.0.0.1:{server.server_port}"


@pytest.fixture(scope="module")
def oidc_api(spawn_for_module: Callable[..., Process], provider: str) -> Process:
    """One API signing in through the provider for the module's tests."""
    port = free_port()
    return spawn_for_module(
        "api",
        port=port,
        env={
            "CONVEYOR_OIDC_ISSUER": provider,
            "CONVEYOR_OIDC_CLIENT_ID": "conveyor-console",
            "CONVEYOR_OIDC_CLIENT_SECRET": "not-checked-by-the-mock",
            "CONVEYOR_OIDC_REDIRECT_URL": f"http://127.0.0.1:{port}/api/v1/sessions/oidc/callback",
        },
    ).wait_ready()


@pytest.fixture
def api(oidc_api: Process, clean_db: str) -> Process:
    return oidc_api


def sign_in_at_provider(api: Process, subject: str, next_path: str = "/jobs") -> httpx.Response:
    """Start at Conveyor, sign in at the provider, and return the provider's redirect back."""
    start = httpx.get(f"{api.base_url}/api/v1/sessions/oidc/start", params={"next": next_path})
    assert start.status_code == 302, start.text
    authorize = start.headers["location"]
    assert "code_challenge_method=S256" in authorize and "nonce=" in authorize
    back = httpx.post(authorize, data={"sub": subject})
    assert back.status_code in (302, 303), back.text
    return back


def test_sign_in_creates_a_viewer_session(api: Process) -> None:
    back = sign_in_at_provider(api, "grace@example.com")
    callback = httpx.get(back.headers["location"])
    assert callback.status_code == 303 and callback.headers["location"] == "/jobs"
    cookie = {"conveyor_session": callback.cookies["conveyor_session"]}
    me = httpx.get(f"{api.base_url}/api/v1/me", cookies=cookie).json()
    assert (me["email"], me["role"]) == ("grace@example.com", "viewer")
    # The same authorization response cannot be replayed.
    assert_problem(httpx.get(back.headers["location"]), 400)


def test_forged_state_and_foreign_redirects_are_refused(api: Process) -> None:
    back = sign_in_at_provider(api, "mallory@example.com")
    forged = back.headers["location"].replace("state=", "state=forged")
    assert_problem(httpx.get(forged), 400)
    assert_problem(
        httpx.get(f"{api.base_url}/api/v1/sessions/oidc/start", params={"next": "https://evil.example"}),
        422,
        "next",
    )
    assert_problem(
        httpx.get(f"{api.base_url}/api/v1/sessions/oidc/start", params={"next": "//evil.example"}),
        422,
        "next",
    )


UNSTORABLE_CLAIMS = [
    ("name", {"email": "eve@example.com", "name": "Eve\u0000"}),
    ("email", {"email": "eve\u0000@example.com"}),
    ("name", {"email": "eve@example.com", "name": {"first": "Eve"}}),
]


def test_claims_that_cannot_be_stored_are_refused_naming_the_claim(api: Process, provider: str) -> None:
    """An identity provider is an outside party: what it sends must not become a 500."""
    subject = "eve@example.com"
    for claim, claims in UNSTORABLE_CLAIMS:
        sent = httpx.put(f"{provider}/users/{subject}", json=claims)
        assert sent.status_code == 204
        back = sign_in_at_provider(api, subject)
        problem = assert_problem(httpx.get(back.headers["location"]), 400)
        assert f"the identity provider's {claim} claim cannot be stored" in problem["detail"]


def test_without_configuration_oidc_routes_are_404(api_server: Process) -> None:
    assert_problem(httpx.get(f"{api_server.base_url}/api/v1/sessions/oidc/start"), 404)
