"""Runbooks: one per alert, each the page its runbook_url names, with commands that exist:
every `conveyor …` command in the CLI, every metric exported, every SQL statement planned by the
real PostgreSQL schema."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import psycopg
import pytest
import typer
from scripts.observability.contract import exported_series

from conveyor.cli import app
from tests.observability import rules
from tests.support import REPO

RUNBOOKS = REPO / "docs" / "runbooks"
SECTIONS = (
    "## What it means",
    "## User impact",
    "## Diagnosis",
    "## Mitigation",
    "## Escalation",
    "## Related",
)
FENCE = re.compile(r"```(\w*)\n(.*?)```", re.S)
INLINE = re.compile(r"`(conveyor [^`]+)`")
METRIC = re.compile(r"\b((?:conveyor|process|python)_[a-z0-9_]+|slo:[a-z0-9_:]+)\b")
SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_created")


def runbooks() -> list[Path]:
    return sorted(p for p in RUNBOOKS.glob("*.md") if p.name != "README.md")


def blocks(text: str, language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(text) if lang == language]


def cli_commands(text: str) -> list[str]:
    lines = [line.strip() for body in blocks(text, "sh") for line in body.splitlines()]
    return [line for line in lines if line.startswith("conveyor ")] + INLINE.findall(text)


def cli_problem(command: str) -> str | None:
    """Why `command` is not a command of the conveyor CLI, or None when it is."""
    words = shlex.split(command)[1:]
    node: Any = typer.main.get_command(app)  # typer's own (vendored) click objects
    path = ["conveyor"]
    while hasattr(node, "commands") and words and not words[0].startswith("-"):
        child = node.commands.get(words[0])
        if child is None:
            return f"{' '.join(path)} has no command {words[0]!r}"
        node, path = child, [*path, words.pop(0)]
    if hasattr(node, "commands"):
        return f"{' '.join(path)} needs a subcommand"
    options = {opt for param in node.params for opt in getattr(param, "opts", [])}
    unknown = [w.split("=")[0] for w in words if w.startswith("--") and w.split("=")[0] not in options]
    return f"{' '.join(path)} has no option {unknown[0]}" if unknown else None


def test_every_alert_has_its_runbook_and_every_runbook_an_alert() -> None:
    alerts = {alert.name: alert.annotations["runbook_url"] for alert in rules.alerts()}
    assert all((REPO / url).is_file() for url in alerts.values()), "runbook_url pointing nowhere"
    assert {p.stem for p in runbooks()} == set(alerts)
    index = (RUNBOOKS / "README.md").read_text()
    assert all(f"({name}.md)" in index for name in alerts)


@pytest.mark.parametrize("path", runbooks(), ids=lambda p: p.stem)
def test_runbook_has_every_section_and_only_real_commands_and_metrics(path: Path) -> None:
    text = path.read_text()
    assert text.startswith(f"# {path.stem}\n")
    assert [s for s in SECTIONS if s not in text] == []
    assert blocks(text, "promql") or path.stem == "ConveyorWatchdog" or blocks(text, "sql")
    assert [(c, p) for c in cli_commands(text) if (p := cli_problem(c))] == []
    known = exported_series() | rules.recorded_series()
    families = {name.removesuffix(s) for name in known for s in SUFFIXES if name.endswith(s)}
    assert sorted(set(METRIC.findall(text)) - known - families) == []


def test_the_cli_check_catches_commands_that_do_not_exist() -> None:
    assert cli_problem("conveyor jobs list --state dead --limit 5") is None
    assert cli_problem("conveyor jobs retry 42") is None
    assert cli_problem("conveyor jobs purge") == "conveyor jobs has no command 'purge'"
    assert cli_problem("conveyor jobs list --status dead") == "conveyor jobs list has no option --status"
    assert cli_problem("conveyor schedules") == "conveyor schedules needs a subcommand"


def test_every_sql_statement_in_the_runbooks_plans_against_the_real_schema(database_url: str) -> None:
    statements = [
        (path.stem, statement.strip())
        for path in runbooks()
        for body in blocks(path.read_text(), "sql")
        for statement in body.split(";")
        if statement.strip()
    ]
    assert len(statements) >= 10
    failures = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        for name, statement in statements:
            try:
                conn.execute(f"EXPLAIN {statement}".encode())  # runbook text, not a literal query
            except psycopg.Error as exc:
                failures.append(f"{name}: {statement[:60]}…: {exc}")
    assert failures == []
