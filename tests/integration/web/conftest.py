"""Fixtures for the console: a real ``conveyor web`` process in front of a real API process,
both on the embedded PostgreSQL, and users who sign in through the console's own form."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from conveyor.store.database import Pool
from conveyor.store.users import create_user
from tests.support import Process, free_port, process_env

PASSWORD = "correct horse battery staple"
HIDDEN_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session")
def console(
    database_url: str, api_server: Process, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Process]:
    port = free_port()
    proc = Process(
        ["web", "--port", str(port)],
        # Plain HTTP on loopback: httpx (unlike browsers) sends Secure cookies only over HTTPS.
        process_env(database_url, CONVEYOR_API_URL=api_server.base_url, CONVEYOR_COOKIE_SECURE="false"),
        tmp_path_factory.mktemp("web") / "web.log",
        port=port,
    ).start()
    proc.wait_ready()
    yield proc
    proc.stop()


def csrf_of(html: str) -> str:
    match = HIDDEN_CSRF.search(html)
    assert match, "no CSRF field in the page"
    return match.group(1)


@dataclass
class Browser:
    """A signed-in user of the console, driven over plain HTTP (no JavaScript)."""

    http: httpx.Client
    email: str
    csrf: str = ""

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        return self.http.get(path, **kwargs)  # type: ignore[arg-type]

    def post(self, path: str, data: dict[str, str] | None = None, *, csrf: bool = True) -> httpx.Response:
        form = dict(data or {})
        if csrf:
            form["csrf_token"] = self.csrf
        return self.http.post(path, data=form)


def console_client(base_url: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, follow_redirects=False, timeout=30)


def sign_in(http: httpx.Client, email: str, password: str = PASSWORD, next_path: str = "/") -> httpx.Response:
    form = http.get("/sign-in", params={"next": next_path})
    return http.post(
        "/sign-in",
        data={"email": email, "password": password, "next": next_path, "csrf_token": csrf_of(form.text)},
    )


@pytest.fixture
def user_factory(pool: Pool, clean_db: str) -> Callable[[str], Awaitable[str]]:
    async def make(role: str) -> str:
        email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"  # fresh: sign-in limits are per email
        await create_user(pool, email, role, None, PASSWORD)  # type: ignore[arg-type]
        return email

    return make


@pytest.fixture
def browser_for(
    console: Process, user_factory: Callable[[str], Awaitable[str]]
) -> Iterator[Callable[..., object]]:
    opened: list[httpx.Client] = []

    async def open_as(role: str) -> Browser:
        email = await user_factory(role)
        http = console_client(console.base_url)
        opened.append(http)
        response = sign_in(http, email)
        assert response.status_code == 303, response.text
        browser = Browser(http, email)
        browser.csrf = csrf_of(browser.get("/keys").text)
        return browser

    yield open_as
    for http in opened:
        http.close()
