"""Evidence references: the test ids, paths, make targets and commands that the security docs
and the control mappings cite, and whether each still exists.

A reference is one of:
- ``tests/…/test_x.py::test_name`` (or ``::Class::test_name``; a ``[param]`` suffix is ignored):
  the file exists and defines that test — read with ``ast``, so no test is imported or run;
- a repository path (``src/…``, ``docs/…``, ``deploy/…`` …): the file or folder exists;
- ``make <target>``: a rule for the target is in the Makefile or mk/*.mk;
- ``conveyor <command> …``: the CLI has that command (options after it are not checked).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PATH_ROOTS = (
    "src/",
    "tests/",
    "docs/",
    "deploy/",
    "scripts/",
    "observability/",
    "mk/",
    ".github/",
    "tools/",
    "bench/",
    "templates/",
    "catalog-info.yaml",
    "mkdocs.yml",
    "Makefile",
    "SECURITY.md",
    "README.md",
    ".gitleaks.toml",
)
BACKTICKED = re.compile(r"`([^`\n]+)`")
RULE = re.compile(r"^([A-Za-z0-9_.-]+(?:\s+[A-Za-z0-9_.-]+)*)\s*:(?!=)", re.MULTILINE)


def is_reference(text: str) -> bool:
    return text.startswith(("make ", "conveyor ")) or text.startswith(PATH_ROOTS)


def references_in(markdown: str) -> list[str]:
    """Backticked references in a Markdown text, in order (fenced code blocks excluded)."""
    prose = re.sub(r"^```.*?^```", "", markdown, flags=re.MULTILINE | re.DOTALL)
    return [m for m in BACKTICKED.findall(prose) if is_reference(m)]


def make_targets(repo: Path = REPO) -> set[str]:
    targets: set[str] = set()
    for makefile in [repo / "Makefile", *sorted((repo / "mk").glob("*.mk"))]:
        for match in RULE.finditer(makefile.read_text()):
            targets.update(match.group(1).split())
    return targets


def _defines(tree: ast.Module, names: list[str]) -> bool:
    body: list[ast.stmt] = tree.body
    for name in names:
        found = next(
            (
                node
                for node in body
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and node.name == name
            ),
            None,
        )
        if found is None:
            return False
        body = found.body if isinstance(found, ast.ClassDef) else []
    return True


def _cli_has(words: list[str]) -> bool:
    import typer

    from conveyor.cli import app

    command = typer.main.get_command(app)  # typer's own (vendored) click: groups have .commands
    for word in words:
        group = getattr(command, "commands", None)
        if word.startswith("-") or group is None:
            return True
        sub = group.get(word)
        if sub is None:
            return False
        command = sub
    return True


def problem(reference: str, repo: Path = REPO) -> str | None:
    """Why ``reference`` does not resolve, or None when it does."""
    if reference.startswith("make "):
        target = reference.split()[1]
        return None if target in make_targets(repo) else f"no make target {target!r}"
    if reference.startswith("conveyor "):
        words = reference.split()[1:]
        return None if _cli_has(words) else f"the CLI has no command {' '.join(words)!r}"
    path_text, _, test = reference.partition("::")
    path = repo / path_text.split("#", 1)[0]
    if not path.exists():
        return f"{path_text} does not exist"
    if test:
        names = [re.sub(r"\[.*\]$", "", part) for part in test.split("::")]
        if not _defines(ast.parse(path.read_text()), names):
            return f"{path_text} defines no test {test!r}"
    return None
