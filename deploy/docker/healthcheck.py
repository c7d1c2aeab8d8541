#!/usr/bin/python3.11 -I
"""Container HEALTHCHECK: GET the running process's /readyz on loopback (stdlib only).

The same image runs every Conveyor process, each on its own port, so the port is found from
the command the container runs (PID 1 is tini; the Conveyor command and an optional --port
follow it), else from CONVEYOR_<PROCESS>_PORT, else the default. CONVEYOR_HEALTHCHECK_URL
overrides all of it. One-shot commands (migrate, admin, jobs) have no server: healthy.
Exit 0 healthy, 1 unhealthy (Docker's contract).
"""

import os
import sys
import urllib.request

DEFAULT_PORTS = {"api": 8000, "up": 8000, "web": 8080, "worker": 9100, "scheduler": 9101}
PATH = os.environ.get("CONVEYOR_HEALTHCHECK_PATH", "/readyz")


def command_line() -> list[str]:
    try:
        with open("/proc/1/cmdline", "rb") as f:
            return [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def target() -> str | None:
    url = os.environ.get("CONVEYOR_HEALTHCHECK_URL")
    if url:
        return url
    argv = command_line()
    process = next((a for a in argv if a in DEFAULT_PORTS), None)
    if process is None:
        return None
    port = os.environ.get(f"CONVEYOR_{'API' if process == 'up' else process.upper()}_PORT")
    for i, arg in enumerate(argv):
        if arg == "--port" and i + 1 < len(argv):
            port = argv[i + 1]
        elif arg.startswith("--port="):
            port = arg.split("=", 1)[1]
    return f"http://127.0.0.1:{port or DEFAULT_PORTS[process]}{PATH}"


def main() -> int:
    url = target()
    if url is None:
        return 0
    try:
        with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 - loopback URL
            ok = 200 <= response.status < 300
            print(f"{url}: {response.status}")
            return 0 if ok else 1
    except Exception as exc:  # HTTPError (503 not ready), URLError (not listening), timeout
        print(f"{url}: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
