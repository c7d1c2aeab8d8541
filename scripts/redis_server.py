"""A private redis-server on loopback, without persistence (Conveyor keeps nothing durable in
Redis): the one way the tests (tests/conftest.py) and the chaos experiments
(chaos/environment.py) start it. Debian's redis-server, installed by `make test-deps`."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


class RedisError(RuntimeError):
    """redis-server is missing or did not answer; the message says which."""


@dataclass
class RedisServer:
    popen: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 10) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def start_redis(directory: Path, port: int, timeout: float = 10) -> RedisServer:
    """redis-server on 127.0.0.1:``port`` with ``directory`` as its working directory; returns
    once it answers PING (raises RedisError after ``timeout`` seconds)."""
    binary = shutil.which("redis-server")
    if not binary:
        raise RedisError("redis-server is not installed: run `make test-deps`")
    args = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    server = RedisServer(
        subprocess.Popen(
            [binary, *args, "--dir", str(directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        ),
        port,
    )
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return server
        except OSError:
            pass
        if not server.alive() or time.monotonic() > deadline:
            server.stop()
            raise RedisError(f"redis-server on port {port} did not answer PING within {timeout:.0f} s")
        time.sleep(0.05)
