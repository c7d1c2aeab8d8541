"""`make slo`: validate observability/slo/*.yaml, then let Sloth generate the rules.

Sloth validates its spec's shape; this adds what it does not check, each error naming the file,
the SLO and the field: an objective outside (0, 100), a missing field, a duplicate SLO name, an
SLI that names a metric Conveyor does not export (the contract in
src/conveyor/telemetry/metrics.py), queries without Sloth's {{.window}}, and alerts without the
labels and annotations Conveyor's alerts carry (OPERATIONS.md). On any error nothing is written;
otherwise Sloth's output replaces observability/prometheus/rules/slo-<spec name> in one rename.

    python -m scripts.observability.slo [--sloth PATH] [--out DIR] [SPEC ...]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from scripts.observability.contract import exported_series, series_in

REPO = Path(__file__).resolve().parents[2]
SPECS = REPO / "observability" / "slo"
RULES = REPO / "observability" / "prometheus" / "rules"
SLOTH = REPO / ".cache" / "tools" / "bin" / "sloth"
NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
ALERT_NAME = re.compile(r"^Conveyor[A-Z][A-Za-z0-9]*$")
ANNOTATIONS = ("summary", "description", "runbook_url", "dashboard_url")


class SpecError(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def _get(mapping: Any, path: str) -> Any:
    """The value at a dotted path, or None where any step is missing."""
    for key in path.split("."):
        if not isinstance(mapping, dict):
            return None
        mapping = mapping.get(key)
    return mapping


def _check_slo(slo: Any, index: int, known: frozenset[str]) -> tuple[str, list[str]]:
    if not isinstance(slo, dict):
        return f"#{index + 1}", [f"slos[{index}]: must be a mapping"]
    name = slo.get("name")
    label = f"slo {name!r}" if isinstance(name, str) and name else f"slos[{index}]"
    errors: list[str] = []

    def need(path: str) -> Any:
        value = _get(slo, path)
        if value is None or value == "":
            errors.append(f"{label}: {path}: missing")
        return value

    if need("name") is not None and not (isinstance(name, str) and NAME.match(name)):
        errors.append(f"{label}: name: must be lowercase letters, digits and dashes")
    objective = need("objective")
    if objective is not None and (
        isinstance(objective, bool) or not isinstance(objective, int | float) or not 0 < objective < 100
    ):
        errors.append(f"{label}: objective: must be a number within (0, 100), got {objective!r}")
    need("description")
    for field in ("sli.events.error_query", "sli.events.total_query"):
        query = need(field)
        if not isinstance(query, str):
            continue
        if "{{.window}}" not in query.replace(" ", ""):
            errors.append(f"{label}: {field}: must use Sloth's {{{{.window}}}} as its range")
        unknown = sorted(series_in(query) - known)
        if unknown:
            errors.append(
                f"{label}: {field}: names metrics Conveyor does not export: {', '.join(unknown)}"
                " (see src/conveyor/telemetry/metrics.py)"
            )
    alert = need("alerting.name")
    if isinstance(alert, str) and not ALERT_NAME.match(alert):
        errors.append(f"{label}: alerting.name: must be Conveyor<Something> in CamelCase, got {alert!r}")
    need("alerting.labels.component")
    for annotation in ANNOTATIONS:
        need(f"alerting.annotations.{annotation}")
    runbook = _get(slo, "alerting.annotations.runbook_url")
    if isinstance(alert, str) and runbook is not None and runbook != f"docs/runbooks/{alert}.md":
        errors.append(f"{label}: alerting.annotations.runbook_url: must be docs/runbooks/{alert}.md")
    for kind, severity in (("page_alert", "page"), ("ticket_alert", "ticket")):
        if _get(slo, f"alerting.{kind}.labels.severity") != severity:
            errors.append(f"{label}: alerting.{kind}.labels.severity: must be {severity!r}")
    return label, errors


def validate(path: Path, known: frozenset[str] | None = None) -> dict[str, Any]:
    """The parsed spec, or SpecError listing every problem (file, SLO and field named)."""
    known = known if known is not None else exported_series()
    try:
        spec = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise SpecError([f"{path}: not valid YAML: {exc}"]) from None
    if not isinstance(spec, dict):
        raise SpecError([f"{path}: must be a mapping with version, service and slos"])
    errors = []
    if spec.get("version") != "prometheus/v1":
        errors.append(f"version: must be 'prometheus/v1', got {spec.get('version')!r}")
    if not spec.get("service"):
        errors.append("service: missing")
    slos = spec.get("slos")
    if not isinstance(slos, list) or not slos:
        errors.append("slos: must be a non-empty list")
        slos = []
    seen: set[str] = set()
    for index, slo in enumerate(slos):
        _, slo_errors = _check_slo(slo, index, known)
        errors.extend(slo_errors)
        name = slo.get("name") if isinstance(slo, dict) else None
        if isinstance(name, str):
            if name in seen:
                errors.append(f"slo {name!r}: name: duplicate (SLO names must be unique)")
            seen.add(name)
    if errors:
        raise SpecError([f"{path}: {error}" for error in errors])
    return spec


def generate(spec_path: Path, out_dir: Path, sloth: Path) -> Path:
    """Validate, run Sloth into a temporary file, and move it into place only when it succeeded."""
    validate(spec_path)
    if not sloth.exists():
        raise SpecError([f"{sloth}: Sloth is not built; run `make tools`"])
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"slo-{spec_path.name}"
    fd, tmp_name = tempfile.mkstemp(dir=out_dir, prefix=f".{spec_path.stem}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        result = subprocess.run(
            [str(sloth), "generate", "--input", str(spec_path), "--out", str(tmp)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise SpecError([f"{spec_path}: Sloth refused the spec:\n{result.stderr.strip()}"])
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("specs", nargs="*", type=Path, help="spec files (default: observability/slo/*.yaml)")
    parser.add_argument("--sloth", type=Path, default=SLOTH)
    parser.add_argument("--out", type=Path, default=RULES)
    args = parser.parse_args(argv)
    specs = args.specs or sorted(SPECS.glob("*.yaml"))
    try:
        for spec in specs:  # validate all before writing any
            validate(spec)
        for spec in specs:
            print(
                f"slo: {spec.relative_to(REPO) if spec.is_relative_to(REPO) else spec} -> "
                f"{generate(spec, args.out, args.sloth)}"
            )
    except SpecError as exc:
        print(f"slo: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
