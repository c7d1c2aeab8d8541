"""scripts/delivery/notify.py posts the message to the chat webhook (a loopback server here)
and refuses a webhook that is not https."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.delivery.conftest import REPO_ROOT, run
from tests.support import Recorder, recording_receiver

NOTIFY = REPO_ROOT / "scripts/delivery/notify.py"


@pytest.fixture
def chat() -> Iterator[Recorder]:
    with recording_receiver(lambda _request, _before: (200, {}, b"")) as recorder:
        yield recorder


def notify(url: str | None, *args: str) -> tuple[int, str, str]:
    env = {"CHAT_WEBHOOK_URL": url or ""}
    result = run(REPO_ROOT / ".venv/bin/python", NOTIFY, *args, env=env)
    return result.returncode, result.stdout.strip(), result.stderr.strip()


def test_the_message_reaches_the_chat(chat: Recorder) -> None:
    url = f"{chat.url}/hooks/T000"
    assert notify(url, "--title", "Deploy to prod: failure", "--link", "https://ci/runs/1") == (
        0,
        "notify: sent",
        "",
    )
    assert [(r.method, r.path, r.json()) for r in chat.received] == [
        ("POST", "/hooks/T000", {"text": "Deploy to prod: failure\nhttps://ci/runs/1"})
    ]


def test_a_refusing_chat_fails_the_step_without_printing_the_url(chat: Recorder) -> None:
    chat.respond = lambda _request, _before: (403, {}, b"")
    url = f"{chat.url}/hooks/secret-path"
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
