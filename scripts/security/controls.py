"""The control mappings (docs/security/controls.yaml) → their Markdown view (controls.md).

    python -m scripts.security.controls            # write docs/security/controls.md
    python -m scripts.security.controls --check    # exit 1 when controls.md is stale

The YAML is checked first: unknown frameworks, duplicate ids, missing fields and empty evidence
are refused naming the control. Whether each path, test id and make target still exists is
tests/security/test_evidence.py's job (scripts/security/evidence.py).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import yaml
from scripts.security.evidence import REPO

SOURCE = REPO / "docs" / "security" / "controls.yaml"
VIEW = REPO / "docs" / "security" / "controls.md"
FIELDS = ("framework", "id", "title", "provides", "artifacts", "checks")


class MappingError(ValueError):
    pass


def load(path: Path = SOURCE) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, dict) or not isinstance(data.get("frameworks"), dict):
        raise MappingError(f"{path.name}: needs a 'frameworks' mapping and a 'controls' list")
    seen: set[tuple[str, str]] = set()
    for number, control in enumerate(data.get("controls") or [], start=1):
        where = f"{path.name}: control #{number} ({control.get('framework')} {control.get('id')})"
        missing = [f for f in FIELDS if not control.get(f)]
        if missing:
            raise MappingError(f"{where}: missing or empty {', '.join(missing)}")
        if control["framework"] not in data["frameworks"]:
            raise MappingError(f"{where}: unknown framework {control['framework']!r}")
        key = (control["framework"], str(control["id"]))
        if key in seen:
            raise MappingError(f"{where}: defined twice")
        seen.add(key)
        for field in ("artifacts", "checks"):
            if not isinstance(control[field], list) or not all(isinstance(x, str) for x in control[field]):
                raise MappingError(f"{where}: {field} must be a list of strings")
    if not seen:
        raise MappingError(f"{path.name}: no controls")
    return data


def evidence(control: dict[str, Any]) -> list[str]:
    return [*control["artifacts"], *control["checks"]]


def _link(reference: str) -> str:
    if reference.startswith("make "):
        return f"`{reference}`"
    path = REPO / reference.split("::", 1)[0]
    return f"[`{reference}`]({os.path.relpath(path, VIEW.parent)})"


def render(data: dict[str, Any]) -> str:
    lines = [
        "# Control mappings",
        "",
        "<!-- Generated from controls.yaml by `make controls`; edit the YAML, not this file. -->",
        "",
        "For each control an operator of Conveyor must evidence: what Conveyor provides, the",
        "artifact in this repository and the check that exercises it (a pytest node id or a `make`",
        "target — all run by `make test`). `tests/security/test_evidence.py` fails when any of them",
        "no longer exists. Process controls (HR, physical, vendors) are the operator's and are not",
        "listed. Source: [controls.yaml](controls.yaml).",
        "",
    ]
    for key, framework in data["frameworks"].items():
        controls = [c for c in data["controls"] if c["framework"] == key]
        lines += [f"## {framework['name']}", "", "| control | what Conveyor provides | artifacts | checks |"]
        lines += ["|---|---|---|---|"]
        for c in controls:
            artifacts = "<br>".join(_link(a) for a in c["artifacts"])
            checks = "<br>".join(_link(x) for x in c["checks"])
            lines.append(f"| **{c['id']}** {c['title']} | {c['provides']} | {artifacts} | {checks} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when controls.md is stale")
    args = parser.parse_args(argv)
    try:
        text = render(load())
    except MappingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        if not VIEW.exists() or VIEW.read_text() != text:
            print("docs/security/controls.md is stale: run `make controls`", file=sys.stderr)
            return 1
        return 0
    VIEW.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
