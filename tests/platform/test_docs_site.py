"""The docs site builds with MkDocs --strict (no broken link, no missing page), with the three
audiences' navigation, the security section and the API reference rendered from the OpenAPI."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.platform.conftest import tool
from tests.support import REPO


def build(site: Path, config: Path = REPO / "mkdocs.yml") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("mkdocs"), "build", "--strict", "--config-file", str(config), "--site-dir", str(site)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )


def test_the_site_builds_strictly_with_security_and_the_api_reference(tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = build(site)
    assert result.returncode == 0, result.stderr
    index = (site / "index.html").read_text()
    for audience in ("Users", "Operators", "Contributors"):
        assert audience in index
    threat_model = (site / "security" / "threat-model" / "index.html").read_text()
    assert 'class="mermaid"' in threat_model  # the data-flow diagram is rendered, not shown as code
    controls = (site / "security" / "controls" / "index.html").read_text()
    assert "CC6.1" in controls and "Art. 17" in controls
    # Links that leave docs/ point to the repository, at files that exist.
    assert "https://github.com/OWNER/conveyor/blob/main/tests/integration/test_rbac.py" in controls
    reference = (site / "reference" / "openapi" / "index.html").read_text()
    paths = json.loads((REPO / "docs" / "openapi.json").read_text())["paths"]
    assert all(path in reference for path in ("/api/v1/jobs", "/api/v1/schedules"))
    assert len(paths) > 20


def test_a_broken_link_fails_the_build(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n\n[gone](missing.md) and [out](../nowhere/README.md)\n")
    config = tmp_path / "mkdocs.yml"
    original = (REPO / "mkdocs.yml").read_text()
    config.write_text(
        original.split("\nnav:")[0].replace(
            "scripts/platform/mkdocs_hooks.py", str(REPO / "scripts/platform/mkdocs_hooks.py")
        )
    )
    result = build(tmp_path / "site", config)
    assert result.returncode == 1
    assert "missing.md" in result.stderr
    assert "nowhere/README.md" in result.stderr
