"""`make chart-rules`: copy observability/prometheus/rules/*.yaml into the Helm chart.

Helm reads no file outside its chart, so the chart's PrometheusRule
(deploy/helm/conveyor/templates/monitoring.yaml) takes its groups from a generated copy in
deploy/helm/conveyor/files/prometheus-rules/: each source file verbatim under a header naming
it. The rules folder stays the one source (OPERATIONS.md). Before anything is written every
source must be a mapping with a non-empty `groups` list, and group names must be unique across
the files (one PrometheusRule holds them all); on an error nothing is written. Copies whose
source is gone are removed.

    python -m scripts.observability.chart_rules           # regenerate the copy
    python -m scripts.observability.chart_rules --check   # exit 1 when the copy is stale
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "observability" / "prometheus" / "rules"
CHART_RULES = REPO / "deploy" / "helm" / "conveyor" / "files" / "prometheus-rules"


class RulesError(Exception):
    """A source rule file the chart cannot carry; the message names the file and the fault."""


def header(source: Path) -> str:
    relative = source.relative_to(REPO) if source.is_relative_to(REPO) else source
    return (
        f"# Generated from {relative} by scripts/observability/chart_rules.py\n"
        "# (`make chart-rules`); do not edit by hand: edit the source and regenerate.\n"
    )


def _groups(source: Path) -> list[str]:
    try:
        content: Any = yaml.safe_load(source.read_text())
    except yaml.YAMLError as error:
        raise RulesError(f"{source}: not YAML: {error}") from error
    groups = content.get("groups") if isinstance(content, dict) else None
    if not isinstance(groups, list) or not groups:
        raise RulesError(f"{source}: needs a non-empty `groups` list")
    names = [group.get("name") if isinstance(group, dict) else None for group in groups]
    for index, name in enumerate(names):
        if not isinstance(name, str) or not name:
            raise RulesError(f"{source}: groups[{index}]: needs a name")
    return [str(name) for name in names]


def copies(rules: Path = RULES) -> dict[str, str]:
    """File name -> the chart copy's text, for every rule file (validated first)."""
    sources = sorted(rules.glob("*.yaml"))
    if not sources:
        raise RulesError(f"{rules}: no *.yaml rule files")
    owner: dict[str, str] = {}
    for source in sources:
        for name in _groups(source):
            if name in owner:
                raise RulesError(f"{source}: group {name!r} is already defined in {owner[name]}")
            owner[name] = source.name
    return {source.name: header(source) + source.read_text() for source in sources}


def stale(wanted: dict[str, str], out: Path = CHART_RULES) -> list[str]:
    """What differs between the copy in ``out`` and ``wanted``: missing, changed, orphaned files."""
    present = {path.name for path in out.glob("*.yaml")} if out.is_dir() else set()
    problems = [f"{name}: missing" for name in sorted(set(wanted) - present)]
    problems += [
        f"{name}: differs from its source"
        for name in sorted(set(wanted) & present)
        if (out / name).read_text() != wanted[name]
    ]
    problems += [f"{name}: has no source" for name in sorted(present - set(wanted))]
    return problems


def write(wanted: dict[str, str], out: Path = CHART_RULES) -> None:
    """Each file replaced in one rename (a reader never sees half a file); orphans removed."""
    out.mkdir(parents=True, exist_ok=True)
    for name, text in wanted.items():
        with tempfile.NamedTemporaryFile("w", dir=out, prefix=f".{name}.", delete=False) as partial:
            partial.write(text)
        os.replace(partial.name, out / name)
    for orphan in out.glob("*.yaml"):
        if orphan.name not in wanted:
            orphan.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="fail when the chart's copy is stale")
    parser.add_argument("--rules", type=Path, default=RULES, help="source rule folder")
    parser.add_argument("--out", type=Path, default=CHART_RULES, help="the chart's copy")
    args = parser.parse_args(argv)
    try:
        wanted = copies(args.rules)
    except RulesError as error:
        print(f"chart-rules: {error}", file=sys.stderr)
        return 1
    if args.check:
        problems = stale(wanted, args.out)
        for problem in problems:
            print(f"{args.out / problem}: run `make chart-rules`", file=sys.stderr)
        return 1 if problems else 0
    write(wanted, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
