"""The observability stack for the tests: the runtime's own helpers
(scripts/observability/stack.py), with the tools required (a missing one fails the test), free
loopback ports and the test profile (short intervals, grouping waits of a second)."""

from __future__ import annotations

from pathlib import Path

from scripts.observability.stack import (
    ALERTMANAGER_DIR,
    Notifications,
    Server,
    receiver,
)
from scripts.observability.stack import start_alertmanager as _start_alertmanager
from scripts.observability.stack import start_prometheus as _start_prometheus

from tests.observability.conftest import tool
from tests.support import free_port

__all__ = [
    "ALERTMANAGER_DIR",
    "Notifications",
    "Server",
    "receiver",
    "start_alertmanager",
    "start_prometheus",
]


def start_alertmanager(directory: Path, receiver_url: str) -> Server:
    return _start_alertmanager(tool("alertmanager"), directory, receiver_url, free_port(), fast=True)


def start_prometheus(
    directory: Path, targets: dict[str, list[str]], alertmanager: str, interval: str
) -> Server:
    return _start_prometheus(
        tool("prometheus"), directory, alertmanager, free_port(), targets=targets, interval=interval
    )
