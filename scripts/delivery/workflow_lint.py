"""The workflows' house rules, which actionlint and zizmor do not state the way we want them.

    python scripts/delivery/workflow_lint.py [--makefile-dir DIR] FILE_OR_DIR...

Reports ``path:line: rule: message`` for every breach and exits 1 when there is one:

- ``pin``: every ``uses:`` of an action or remote reusable workflow names a full 40-hex
  commit SHA followed by a version comment (``# v4.2.2``); local ``./`` references and
  ``docker://...@sha256:`` images are allowed.
- ``permissions``: the workflow declares ``permissions:`` at the top (the default for jobs)
  and every job declares its own (least privilege per job).
- ``injection``: no ``${{ github.event.* }}`` or ``${{ github.head_ref }}`` expands inside a
  ``run:`` script, where a crafted title or branch name becomes shell code; pass it through
  ``env:`` instead.
- ``make-target``: every ``make TARGET`` a ``run:`` calls exists in the Makefile (the
  workflows call only what a developer can run here).
- ``concurrency``: every workflow a trigger can start declares a ``concurrency:`` group
  (a reusable workflow, only ``workflow_call``, runs inside its caller's).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

SHA_PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[^@\s]+)?@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"#\s*v?\d+(\.\d+)*")
INJECTION = re.compile(r"\$\{\{[^}]*\bgithub\.(event\.|head_ref\b)[^}]*\}\}")
MAKE_CALL = re.compile(r"(?:^|[\s;&|(])make((?:[ \t]+(?:\\\n)?[^\s;&|<>()]+)+)", re.MULTILINE)


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule}: {self.message}"


def make_targets(makefile_dir: Path) -> set[str]:
    """The targets GNU make knows in ``makefile_dir`` (its database, includes and all)."""
    make = shutil.which("make")
    if make is None:
        raise SystemExit("workflow_lint: GNU make is not on PATH")
    database = subprocess.run(
        [make, "-npq", "-C", str(makefile_dir), "__WORKFLOW_LINT__=1", ".DEFAULT"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    targets: set[str] = set()
    not_a_target = False
    for line in database.splitlines():
        if line.startswith("# Not a target"):
            not_a_target = True
            continue
        match = re.match(r"^([A-Za-z0-9_./-]+):(?!=)", line)
        if match and not not_a_target:
            targets.add(match.group(1))
        not_a_target = False
    if not targets:
        raise SystemExit(f"workflow_lint: no make targets found in {makefile_dir}")
    return targets


def _get(mapping: Node, key: str) -> Node | None:
    if isinstance(mapping, MappingNode):
        for key_node, value in mapping.value:
            if isinstance(key_node, ScalarNode) and key_node.value == key:
                found: Node = value
                return found
    return None


def _items(mapping: Node) -> Iterator[tuple[ScalarNode, Node]]:
    if isinstance(mapping, MappingNode):
        for key_node, value in mapping.value:
            if isinstance(key_node, ScalarNode):
                yield key_node, value


def _line_of(node: ScalarNode, offset: int) -> int:
    """1-based line of the ``offset``-th line inside a scalar (block scalars start below the key)."""
    first = node.start_mark.line + (1 if node.style in ("|", ">") else 0)
    return first + offset + 1


class WorkflowLint:
    def __init__(self, targets: set[str]) -> None:
        self.targets = targets

    def check(self, path: Path) -> list[Finding]:
        text = path.read_text()
        lines = text.splitlines()
        root = yaml.compose(text)
        name = str(path)
        if not isinstance(root, MappingNode):
            return [Finding(name, 1, "syntax", "not a workflow (no top-level mapping)")]
        findings: list[Finding] = []
        if _get(root, "permissions") is None:
            findings.append(Finding(name, 1, "permissions", "no top-level `permissions:`"))
        if _get(root, "concurrency") is None and not self._only_called(root):
            findings.append(Finding(name, 1, "concurrency", "no top-level `concurrency:` group"))
        for job_key, job in _items(_get(root, "jobs") or MappingNode("", [])):
            if _get(job, "permissions") is None:
                line = job_key.start_mark.line + 1
                findings.append(
                    Finding(name, line, "permissions", f"job `{job_key.value}` declares no `permissions:`")
                )
            findings += self._uses(name, lines, _get(job, "uses"))
            steps = _get(job, "steps")
            for step in steps.value if isinstance(steps, SequenceNode) else []:
                findings += self._uses(name, lines, _get(step, "uses"))
                run = _get(step, "run")
                if isinstance(run, ScalarNode):
                    findings += self._run(name, run)
        return findings

    @staticmethod
    def _only_called(root: Node) -> bool:
        """True for a reusable workflow: ``workflow_call`` is its only trigger."""
        triggers = _get(root, "on")
        if isinstance(triggers, MappingNode):
            return [key.value for key, _ in _items(triggers)] == ["workflow_call"]
        return isinstance(triggers, ScalarNode) and triggers.value == "workflow_call"

    def _uses(self, name: str, lines: list[str], node: Node | None) -> list[Finding]:
        if not isinstance(node, ScalarNode):
            return []
        ref = node.value.strip()
        line = node.start_mark.line + 1
        if ref.startswith(("./", "$/")) or re.match(r"^docker://[^@]+@sha256:[0-9a-f]{64}$", ref):
            return []
        if not SHA_PINNED.match(ref):
            return [Finding(name, line, "pin", f"`{ref}` is not pinned to a full commit SHA")]
        if not VERSION_COMMENT.search(lines[node.start_mark.line][node.end_mark.column :]):
            return [Finding(name, line, "pin", f"`{ref}` has no version comment (`# vX.Y.Z`)")]
        return []

    def _run(self, name: str, node: ScalarNode) -> list[Finding]:
        findings: list[Finding] = []
        script: str = node.value
        for offset, text in enumerate(script.splitlines()):
            for match in INJECTION.finditer(text):
                findings.append(
                    Finding(
                        name,
                        _line_of(node, offset),
                        "injection",
                        f"`{match.group(0)}` expands inside `run:`; pass it through `env:`",
                    )
                )
        for match in MAKE_CALL.finditer(script):
            offset = script.count("\n", 0, match.start(1))
            for target in self._make_goals(match.group(1)):
                if target not in self.targets:
                    findings.append(
                        Finding(
                            name, _line_of(node, offset), "make-target", f"`make {target}`: no such target"
                        )
                    )
        return findings

    @staticmethod
    def _make_goals(arguments: str) -> Iterable[str]:
        for word in arguments.replace("\\\n", " ").split():
            if word.startswith("-") or "=" in word or "$" in word or word.startswith(("'", '"')):
                continue
            yield word


def workflow_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        files += sorted(path.glob("*.y*ml")) if path.is_dir() else [path]
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--makefile-dir", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    lint = WorkflowLint(make_targets(args.makefile_dir))
    files = workflow_files(args.paths)
    if not files:
        print("workflow_lint: no workflow files found", file=sys.stderr)
        return 2
    findings = sorted(f for path in files for f in lint.check(path))
    for finding in findings:
        print(finding)
    print(f"workflow_lint: {len(files)} files, {len(findings)} findings", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
