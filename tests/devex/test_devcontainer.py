"""The devcontainer as the Dev Containers reference CLI reads it, and its Dockerfile as hadolint
lints it; the ports it forwards and the packages it installs kept in step with the repository."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest

from conveyor.settings import Settings
from tests.devex.conftest import HADOLINT, js_tool, system_tool
from tests.support import REPO

DEVCONTAINER = REPO / ".devcontainer"
MOCK_PORT = 4010  # mk/devex.mk's MOCK_PORT default


@pytest.fixture(scope="module")
def configuration() -> dict[str, Any]:
    """`devcontainer read-configuration`: the reference CLI parses devcontainer.json (JSONC) and
    resolves its variables. It looks for a running container first, through podman here: no
    Docker engine needed."""
    done = subprocess.run(
        [
            js_tool("devcontainer"),
            "read-configuration",
            "--workspace-folder", str(REPO),
            "--docker-path", system_tool("podman"),
            "--log-format", "json",
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_the_reference_cli_reads_the_configuration(configuration: dict[str, Any]) -> None:
    config = configuration["configuration"]
    assert config["configFilePath"]["fsPath"] == str(DEVCONTAINER / "devcontainer.json")
    assert (DEVCONTAINER / config["build"]["dockerfile"]).is_file()
    # ${localWorkspaceFolder} resolved by the CLI: the checkout is what the container works on.
    assert configuration["workspace"]["workspaceMount"].startswith(f"source={REPO},")
    assert configuration["workspace"]["workspaceFolder"] == config["workspaceFolder"]


def test_every_process_port_is_forwarded(configuration: dict[str, Any]) -> None:
    config = configuration["configuration"]
    defaults = Settings.model_fields
    processes = {defaults[name].default for name in ("api_port", "web_port", "worker_port", "scheduler_port")}
    forwarded = set(config["forwardPorts"])
    assert processes | {MOCK_PORT} <= forwarded
    # Each forwarded port says what it is, and nothing else is forwarded unasked.
    assert {int(port) for port in config["portsAttributes"]} == forwarded
    assert config["otherPortsAttributes"] == {"onAutoForward": "ignore"}


def test_hadolint_passes_the_dockerfile() -> None:
    assert HADOLINT.exists(), "hadolint is missing: run `make image-tools`"
    done = subprocess.run(
        [str(HADOLINT), "--config", str(DEVCONTAINER / "hadolint.yaml"), str(DEVCONTAINER / "Dockerfile")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def _installed_by_make() -> set[str]:
    """The Debian packages the make targets install as root when missing."""
    sources = [REPO / "Makefile", REPO / "mk" / "drills.mk", REPO / "scripts" / "observability" / "tools.sh"]
    packages: set[str] = set()
    for source in sources:
        packages |= set(re.findall(r'missing="\$+missing ([a-z0-9.+-]+)"', source.read_text()))
    image_tools = (REPO / "scripts" / "image" / "tools.sh").read_text()
    packages |= set(re.findall(r"\[[a-z-]+\]=([a-z0-9.+-]+)", image_tools))
    return packages


def test_the_image_has_what_make_would_install() -> None:
    """So `make test` in the container installs nothing from Debian (and runs as CI does)."""
    dockerfile = (DEVCONTAINER / "Dockerfile").read_text()
    wanted = _installed_by_make()
    assert {"redis-server", "pgbouncer", "chromium", "podman", "postgresql-15", "prometheus"} <= wanted
    installed = set(re.findall(r"[a-z0-9][a-z0-9.+-]+", dockerfile.split("apt-get install", 1)[1]))
    assert wanted - installed == set()
