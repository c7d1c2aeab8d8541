"""`make chart-rules`: the Helm chart's copy of the rule files is current, says where it comes
from, and a drifted or malformed copy is caught with a message naming the file."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.observability.conftest import RULES
from tests.support import REPO

CHART_RULES = REPO / "deploy" / "helm" / "conveyor" / "files" / "prometheus-rules"


def chart_rules(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scripts.observability.chart_rules", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )


def test_the_charts_copy_is_current() -> None:
    result = chart_rules("--check")
    assert result.returncode == 0, result.stderr


def test_each_copy_names_its_source_and_carries_its_rules() -> None:
    sources = sorted(path.name for path in RULES.glob("*.yaml"))
    assert sorted(path.name for path in CHART_RULES.glob("*.yaml")) == sources
    for name in sources:
        copy = (CHART_RULES / name).read_text()
        assert copy.startswith(f"# Generated from observability/prometheus/rules/{name} ")
        assert yaml.safe_load(copy) == yaml.safe_load((RULES / name).read_text())


def _copy_of_chart_rules(tmp_path: Path) -> Path:
    out = tmp_path / "prometheus-rules"
    shutil.copytree(CHART_RULES, out)
    return out


def test_a_drifted_copy_fails_the_check_naming_the_file(tmp_path: Path) -> None:
    out = _copy_of_chart_rules(tmp_path)
    edited = out / "alerts.yaml"
    edited.write_text(edited.read_text().replace("for: 1m", "for: 5m", 1))
    result = chart_rules("--check", "--out", str(out))
    assert result.returncode == 1
    assert "alerts.yaml: differs from its source" in result.stderr


def test_a_missing_or_orphaned_copy_fails_the_check(tmp_path: Path) -> None:
    out = _copy_of_chart_rules(tmp_path)
    (out / "alerts.yaml").rename(out / "old-alerts.yaml")
    result = chart_rules("--check", "--out", str(out))
    assert result.returncode == 1
    assert "alerts.yaml: missing" in result.stderr
    assert "old-alerts.yaml: has no source" in result.stderr


def test_regenerating_restores_the_copy_and_removes_orphans(tmp_path: Path) -> None:
    out = _copy_of_chart_rules(tmp_path)
    (out / "alerts.yaml").write_text("groups: []\n")
    (out / "old-alerts.yaml").write_text("groups: []\n")
    assert chart_rules("--out", str(out)).returncode == 0
    assert chart_rules("--check", "--out", str(out)).returncode == 0
    assert not (out / "old-alerts.yaml").exists()


def test_a_group_name_in_two_files_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    (rules / "more.yaml").write_text(
        "groups:\n  - name: conveyor-workers\n    rules:\n      - record: x\n        expr: vector(1)\n"
    )
    out = tmp_path / "out"
    result = chart_rules("--rules", str(rules), "--out", str(out))
    assert result.returncode == 1
    assert "more.yaml: group 'conveyor-workers' is already defined in alerts.yaml" in result.stderr
    assert not out.exists()


def test_a_rule_file_without_groups_is_refused(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "empty.yaml").write_text("rules: []\n")
    result = chart_rules("--rules", str(rules), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "empty.yaml: needs a non-empty `groups` list" in result.stderr
