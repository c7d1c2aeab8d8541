"""Reading the rule files and promtool test files: alerts, their expressions, their cases."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.observability.conftest import RULE_TESTS, RULES

__all__ = [
    "RULES",
    "Alert",
    "alerts",
    "cases",
    "promtool_case_files",
    "recorded_series",
    "rule_files",
    "rules",
]


@dataclass(frozen=True)
class Alert:
    name: str
    expr: str
    labels: dict[str, str]
    annotations: dict[str, str]
    file: Path


def rule_files() -> list[Path]:
    return sorted(RULES.glob("*.yaml"))


def rules(files: list[Path] | None = None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for path in files or rule_files():
        for group in yaml.safe_load(path.read_text())["groups"]:
            found.extend({**rule, "_file": path} for rule in group["rules"])
    return found


def alerts(files: list[Path] | None = None) -> list[Alert]:
    return [
        Alert(r["alert"], r["expr"], r.get("labels", {}), r.get("annotations", {}), r["_file"])
        for r in rules(files)
        if "alert" in r
    ]


def recorded_series(files: list[Path] | None = None) -> frozenset[str]:
    return frozenset(r["record"] for r in rules(files) if "record" in r)


def promtool_case_files() -> list[Path]:
    return sorted(RULE_TESTS.glob("*.test.yaml"))


def cases(files: list[Path]) -> tuple[set[str], set[str]]:
    """(alerts with a case where they fire, alerts with a case where they must not)."""
    fires: set[str] = set()
    quiet: set[str] = set()
    for path in files:
        for test in yaml.safe_load(path.read_text())["tests"]:
            for case in test.get("alert_rule_test", []):
                (fires if case.get("exp_alerts") else quiet).add(case["alertname"])
    return fires, quiet
