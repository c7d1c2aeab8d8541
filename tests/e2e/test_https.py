"""`make up HTTPS=1` (`conveyor up --https`): the API and the console over TLS from a local CA,
trusted by a real TLS client that trusts only that CA; the session cookie works over it."""

from __future__ import annotations

import signal
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_up import env_for
from tests.integration.web.conftest import csrf_of
from tests.support import REPO, free_port, process_env, wait_until


def test_the_platform_serves_https_from_its_local_ca(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = env_for(home)
    api = f"https://127.0.0.1:{env['CONVEYOR_API_PORT']}"
    console = f"https://127.0.0.1:{env['CONVEYOR_WEB_PORT']}"
    log = tmp_path / "up.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "conveyor", "up", "--https"],
        env=env,
        cwd=REPO,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    ca_file = home / "tls" / "ca.pem"
    try:
        wait_until(ca_file.exists, timeout=60, what="the local CA")
        only_the_local_ca = ssl.create_default_context(cafile=str(ca_file))

        def ready() -> bool:
            assert proc.poll() is None, log.read_text()
            try:
                return httpx.get(f"{api}/readyz", verify=only_the_local_ca, timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(ready, timeout=90, interval=0.3, what="the API over HTTPS")
        assert str(ca_file.resolve()) in log.read_text()  # printed for the browser to trust
        assert (home / "tls" / "server.key").stat().st_mode & 0o077 == 0
        assert (home / "tls" / "ca.key").stat().st_mode & 0o077 == 0

        # A client that does not trust the local CA refuses the certificate.
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"{api}/readyz", timeout=5)

        # The console over TLS: sign in, the Secure session cookie comes back, a page loads.
        with httpx.Client(base_url=console, verify=only_the_local_ca, timeout=30) as browser:

            def console_up() -> bool:
                try:
                    return browser.get("/sign-in").status_code == 200
                except httpx.ConnectError:
                    return False

            wait_until(console_up, timeout=60, interval=0.3, what="the console over HTTPS")
            form = browser.get("/sign-in")
            password = (home / "admin.password").read_text().strip()
            signed_in = browser.post(
                "/sign-in",
                data={
                    "email": "admin@localhost",
                    "password": password,
                    "next": "/",
                    "csrf_token": csrf_of(form.text),
                },
            )
            assert signed_in.status_code in (302, 303), signed_in.text
            assert any("secure" in c.lower() for c in signed_in.headers.get_list("set-cookie"))
            assert browser.get("/jobs").status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0, log.read_text()


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        (
            {"CONVEYOR_TLS_CERT_FILE": "/no/such/cert.pem", "CONVEYOR_TLS_KEY_FILE": "/no/such/key.pem"},
            "CONVEYOR_TLS_CERT_FILE: /no/such/cert.pem does not exist",
        ),
        ({"CONVEYOR_TLS_CERT_FILE": "/etc/hostname"}, "CONVEYOR_TLS_KEY_FILE go together"),
    ],
)
def test_a_missing_certificate_stops_the_start_naming_the_file(
    overrides: dict[str, str], named: str, database_url: str
) -> None:
    port = free_port()
    refused = subprocess.run(
        [sys.executable, "-m", "conveyor", "api", "--port", str(port)],
        env=process_env(database_url, **overrides),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=False,
    )
    assert refused.returncode == 2 and named in refused.stderr
