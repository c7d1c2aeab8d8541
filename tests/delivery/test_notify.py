"""scripts/delivery/notify.py posts the message to the chat webhook (a loopback server here)
and refuses a webhook that is not https."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests.delivery.conftest import REPO_ROOT, run

NOTIFY = REPO_ROOT / "scripts/delivery/notify.py"


class Chat(HTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ChatHandler)
        self.received: list[dict[str, str]] = []
        self.status = 200


class ChatHandler(BaseHTTPRequestHandler):
    server: Chat

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append(json.loads(body))
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def chat() -> Iterator[Chat]:
    server = Chat()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    thread.join()


def notify(url: str | None, *args: str) -> tuple[int, str, str]:
    env = {"CHAT_WEBHOOK_URL": url or ""}
    result = run(REPO_ROOT / ".venv/bin/python", NOTIFY, *args, env=env)
    return result.returncode, result.stdout.strip(), result.stderr.strip()


def test_the_message_reaches_the_chat(chat: Chat) -> None:
    url = f"http://127.0.0.1:{chat.server_port}/hooks/T000"
    assert notify(url, "--title", "Deploy to prod: failure", "--link", "https://ci/runs/1") == (
        0,
        "notify: sent",
        "",
    )
    assert chat.received == [{"text": "Deploy to prod: failure\nhttps://ci/runs/1"}]


def test_a_refusing_chat_fails_the_step_without_printing_the_url(chat: Chat) -> None:
    chat.status = 403
    url = f"http://127.0.0.1:{chat.server_port}/hooks/secret-path"
    status, _, err = notify(url, "--title", "x")
    assert (status, err) == (1, "notify: the chat webhook answered HTTP 403")
    assert "secret-path" not in err


def test_only_https_leaves_the_machine() -> None:
    assert notify("http://chat.example.com/hook", "--title", "x") == (
        1, "", "notify: CHAT_WEBHOOK_URL must be an https:// URL"
    )  # fmt: skip
    assert notify(None, "--title", "x") == (
        0,
        "notify: CHAT_WEBHOOK_URL is not set: no chat notification sent",
        "",
    )
