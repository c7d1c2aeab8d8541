"""The console against Prism's mock of the API contract (docs/openapi.json), as `make mock-api`
runs it: a front-end change can be tried without a database, a worker or a real API.

The console has no data of its own: every page is built from API answers, so signing in and
rendering its pages against the mock exercises what the console reads from the contract. The
answers are the contract's examples (the models' own, see ADR 0025), which is also what makes
the console's sign-in work: the contract declares the session cookie the API sets.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator

import httpx
import pytest

from tests.devex.conftest import js_tool
from tests.support import REPO, Process, free_port, process_env, wait_until

CONTRACT = REPO / "docs" / "openapi.json"
HIDDEN_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
# Every console page a signed-in admin can open, with its heading.
PAGES = {
    "/": "Overview",
    "/jobs": "Jobs",
    "/jobs/new": "Submit a job",
    "/jobs/1042": "Job 1042 <code>http</code>",
    "/dead-letter": "Dead letter",
    "/queues": "Queues",
    "/schedules": "Schedules",
    "/schedules/new": "New schedule",
    "/keys": "Your API keys",
    "/webhooks": "Webhooks",
    "/users": "Users",
    "/profile": "Your profile",
}


def _answers(url: str) -> bool:
    try:
        httpx.get(url, timeout=1)
    except httpx.HTTPError:
        return False
    return True


@pytest.fixture(scope="module")
def mock_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Prism in its default static mode: each answer is the contract's example for it."""
    port = free_port()
    log = tmp_path_factory.mktemp("prism") / "prism.log"
    with log.open("wb") as out:
        prism = subprocess.Popen(
            [js_tool("prism"), "mock", "--host", "127.0.0.1", "--port", str(port), str(CONTRACT)],
            stdout=out, stderr=subprocess.STDOUT, cwd=REPO,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: prism.poll() is not None or _answers(url), timeout=60, what="Prism")
        assert prism.poll() is None, f"Prism exited:\n{log.read_text()}"
        yield url
    finally:
        prism.terminate()
        prism.wait(timeout=15)


@pytest.fixture(scope="module")
def console(mock_api: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    port = free_port()
    proc = Process(
        ["web", "--port", str(port)],
        # Plain HTTP on loopback: httpx (unlike browsers) sends Secure cookies only over HTTPS.
        process_env("postgresql://unused", CONVEYOR_API_URL=mock_api, CONVEYOR_COOKIE_SECURE="false"),
        tmp_path_factory.mktemp("web") / "web.log",
        port=port,
    ).start()
    # /livez, not /readyz: the console's readiness asks the API's /readyz, which is no part of
    # the /api/v1 contract the mock serves.
    wait_until(lambda: _answers(f"{proc.base_url}/livez"), timeout=30, what="the console")
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def signed_in(console: Process) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=console.base_url, follow_redirects=False, timeout=30) as http:
        form = http.get("/sign-in")
        match = HIDDEN_CSRF.search(form.text)
        assert match, "no CSRF field on the sign-in page"
        # Any credentials: the mock answers sign-in with the contract's example session.
        credentials = {"email": "ada@example.com", "password": "any password"}
        answer = http.post("/sign-in", data={**credentials, "next": "/", "csrf_token": match[1]})
        assert answer.status_code == 303, answer.text[-2000:]
        assert answer.headers["location"] == "/"
        yield http


def test_the_console_signs_in_against_the_mock(signed_in: httpx.Client) -> None:
    assert signed_in.cookies.get("conveyor_console") == "example-session-id"


@pytest.mark.parametrize(("path", "heading"), PAGES.items())
def test_each_page_renders_the_contracts_examples(signed_in: httpx.Client, path: str, heading: str) -> None:
    page = signed_in.get(path)
    assert page.status_code == 200, page.text[-2000:]
    assert f"<h1>{heading}" in page.text
    assert "ada@example.com" in page.text or "Ada Lovelace" in page.text  # the signed-in user


def test_the_jobs_page_lists_the_example_job(signed_in: httpx.Client) -> None:
    assert 'href="/jobs/1042"' in signed_in.get("/jobs").text


def test_the_mock_rejects_what_the_contract_rejects(mock_api: str) -> None:
    """Prism validates requests against the contract, so a front end that sends a wrong body
    hears about it from the mock too."""
    answer = httpx.post(f"{mock_api}/api/v1/sessions", json={"email": "ada@example.com"}, timeout=10)
    assert answer.status_code == 422
