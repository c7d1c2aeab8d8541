"""Dashboards as code: the committed JSON is what the builders generate, validates against the
dashboard schema of @grafana/schema, its LogQL parses (@grafana/lezer-logql), uids are stable and
every alert's dashboard_url and every datasource a panel uses exist. (Their PromQL runs against a
live Prometheus in test_live.py.)"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml
from scripts.observability.stack import PipelinePorts

from tests.observability import queries, rules
from tests.observability.conftest import OBSERVABILITY, tool
from tests.support import REPO

DASHBOARDS = queries.DASHBOARDS
CHECK = REPO / "scripts" / "observability" / "js" / "check-dashboards.mjs"
PROVISIONING = OBSERVABILITY / "grafana" / "provisioning"


def check(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("node"), str(CHECK), *map(str, paths)], capture_output=True, text=True, timeout=120
    )


def dashboards() -> dict[str, dict[str, object]]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(DASHBOARDS.glob("*.json"))}


def test_committed_dashboards_are_what_the_builders_generate(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "scripts.observability.dashboards", "--out", str(tmp_path)],
        check=True,
        cwd=REPO,
    )
    generated = {p.name: p.read_text() for p in tmp_path.glob("*.json")}
    committed = {p.name: p.read_text() for p in DASHBOARDS.glob("*.json")}
    assert generated == committed, "stale: run `make dashboards` and commit"


def test_dashboards_validate_against_grafana_schema_and_their_logql_parses() -> None:
    result = check(*sorted(DASHBOARDS.glob("*.json")))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": ok (schema") == len(dashboards()) == 5
    assert len(queries.dashboard_queries("loki")) >= 2


def test_the_checks_refuse_an_unknown_field_and_broken_logql(tmp_path: Path) -> None:
    broken = json.loads((DASHBOARDS / "conveyor-overview.json").read_text())
    broken["refreshEvery"] = "30s"
    [logs] = [p for p in broken["panels"] if p["type"] == "logs"]
    logs["targets"][0]["expr"] = '{service_name="conveyor-api"} | json | level=~'
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    result = check(path)
    assert result.returncode == 1
    assert '/ must NOT have additional properties {"additionalProperty":"refreshEvery"}' in result.stdout
    assert 'LogQL in panel "Warnings and errors (trace_id links to Tempo)": syntax error' in result.stdout


def test_uids_are_stable_and_every_alert_links_to_an_existing_dashboard() -> None:
    found = dashboards()
    assert {name: board["uid"] for name, board in found.items()} == {name: name for name in found}
    for alert in rules.alerts():
        uid = alert.annotations["dashboard_url"].split("/")[2]
        assert uid in found, f"{alert.name}: dashboard {uid} does not exist"
    for runbook in (REPO / "docs" / "runbooks").glob("*.md"):
        for uid in re.findall(r"\(/d/([\w-]+)/", runbook.read_text()):
            assert uid in found, f"{runbook.name}: dashboard {uid} does not exist"


def test_every_datasource_a_dashboard_uses_is_provisioned() -> None:
    provisioned = yaml.safe_load((PROVISIONING / "datasources" / "conveyor.yaml").read_text())["datasources"]
    known = {(d["type"], d["uid"]) for d in provisioned}
    used = {
        (panel["datasource"]["type"], panel["datasource"]["uid"])
        for board in dashboards().values()
        for panel in board.get("panels", [])  # type: ignore[attr-defined]
        if panel.get("datasource")
    }
    assert used <= known
    assert {"prometheus", "loki", "tempo", "jaeger", "victorialogs"} == {uid for _, uid in known}
    by_uid = {d["uid"]: d for d in provisioned}
    # logs -> traces: Loki to Tempo (the production option), VictoriaLogs to Jaeger (ADR 0503)
    assert by_uid["loki"]["jsonData"]["derivedFields"][0]["datasourceUid"] == "tempo"
    assert by_uid["victorialogs"]["jsonData"]["derivedFields"][0]["datasourceUid"] == "jaeger"
    # the bundled stores at the ports `make observability-up` gives them
    ports = PipelinePorts()
    assert by_uid["jaeger"]["url"] == f"http://127.0.0.1:{ports.jaeger_query}"
    assert by_uid["victorialogs"]["url"] == f"http://127.0.0.1:{ports.victorialogs}"
