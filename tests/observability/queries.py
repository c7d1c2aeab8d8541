"""Every PromQL expression the project ships: rules, dashboards and runbooks."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from tests.observability import rules
from tests.observability.conftest import OBSERVABILITY
from tests.support import REPO

DASHBOARDS = OBSERVABILITY / "grafana" / "dashboards"
# Grafana's variables, as a query runs them: ranges and the dashboard's own template variables.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h", "$__auto": "1m"}
FENCE = re.compile(r"```promql\n(.*?)```", re.S)


def _panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def dashboard_queries(language: str) -> list[tuple[str, str]]:
    """(where, expression) for every target of the given datasource type in the dashboards."""
    found = []
    for path in sorted(DASHBOARDS.glob("*.json")):
        dashboard = json.loads(path.read_text())
        for panel in _panels(dashboard):
            for target in panel.get("targets", []):
                kind = (target.get("datasource") or panel.get("datasource") or {}).get("type")
                if kind == language and target.get("expr"):
                    found.append((f"{path.name}: {panel.get('title')}", target["expr"]))
        for variable in dashboard.get("templating", {}).get("list", []):
            if variable.get("type") == "query" and (variable.get("datasource") or {}).get("type") == language:
                query = variable.get("query")
                expr = query.get("query") if isinstance(query, dict) else query
                if expr:
                    found.append((f"{path.name}: variable {variable['name']}", expr))
    return found


def runnable(expr: str) -> str:
    """A dashboard expression with Grafana's variables filled in as Grafana would."""
    expr = re.sub(r"^label_values\((.+),\s*\w+\)$", r"\1", expr.strip())  # a variable's values
    for name, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(name, value)
    return re.sub(r"\$\{?(\w+)\}?", ".*", expr)  # multi-value variables: every value


def all_promql() -> list[tuple[str, str]]:
    found = [(f"{r['_file'].name}: {r.get('alert') or r['record']}", r["expr"]) for r in rules.rules()]
    found += [(where, runnable(expr)) for where, expr in dashboard_queries("prometheus")]
    for path in sorted((REPO / "docs" / "runbooks").glob("*.md")):
        for body in FENCE.findall(path.read_text()):
            found += [(f"{path.name}", line.strip()) for line in body.splitlines() if line.strip()]
    return found
