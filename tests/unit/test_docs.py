"""Docs move with the code: every setting is in the README's configuration table."""

from __future__ import annotations

from conveyor.settings import ENV_PREFIX, Settings
from tests.support import REPO


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text()
    missing = [
        f"{ENV_PREFIX}{name.upper()}"
        for name in Settings.model_fields
        if f"| `{ENV_PREFIX}{name.upper()}` |" not in readme
    ]
    assert missing == []


def test_every_adr_has_context_decision_consequences() -> None:
    adrs = sorted((REPO / "docs" / "adr").glob("*.md"))
    assert adrs
    for adr in adrs:
        text = adr.read_text()
        for heading in ("## Context", "## Decision", "## Consequences"):
            assert heading in text, f"{adr.name} lacks {heading}"
