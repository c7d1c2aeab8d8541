"""Check the licences of the locked Python dependencies against an allow-list.

    python scripts/delivery/licences.py --pip-licenses BIN --python VENV_PYTHON [--policy FILE]

pip-licenses (the tool of the field) reads every installed distribution of the environment
``uv sync --frozen`` made from uv.lock; this script maps what it reports to SPDX identifiers
(scripts/delivery/licences.toml) and fails naming each package whose licence is not allowed
or not known. ``A OR B`` (and pip-licenses' ``A; B`` classifier lists) pass when one side is
allowed, ``A AND B`` when both are.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_POLICY = Path(__file__).with_name("licences.toml")


@dataclass(frozen=True)
class Policy:
    allowed: frozenset[str]
    aliases: dict[str, str]
    reviewed: dict[str, str]

    @classmethod
    def load(cls, path: Path) -> Policy:
        data = tomllib.loads(path.read_text())
        return cls(frozenset(data["allowed"]), dict(data.get("aliases", {})), dict(data.get("reviewed", {})))

    def spdx(self, term: str) -> str:
        term = term.strip()
        if term.startswith("(") and term.endswith(")"):
            term = term[1:-1].strip()
        return self.aliases.get(term, term)

    def allows(self, expression: str) -> bool:
        """True when the licence expression is satisfied by the allow-list."""
        alternatives = re.split(r"\s+OR\s+|;\s*", expression)
        return any(
            all(self.spdx(part) in self.allowed for part in re.split(r"\s+AND\s+", alternative))
            for alternative in alternatives
            if alternative.strip()
        )


def installed_licences(pip_licenses: str, python: str) -> list[dict[str, str]]:
    output = subprocess.run(
        [pip_licenses, "--python", python, "--from=mixed", "--format=json", "--with-system"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    packages: list[dict[str, str]] = json.loads(output)
    return packages


def violations(policy: Policy, packages: list[dict[str, str]]) -> list[str]:
    problems = []
    for package in packages:
        key = f"{package['Name']}=={package['Version']}"
        licence = policy.reviewed.get(key, package["License"])
        if licence == "UNKNOWN":
            problems.append(f"{key}: no licence in its metadata (review it; add it to [reviewed])")
        elif not policy.allows(licence):
            problems.append(f"{key}: {licence!r} is not on the allow-list")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pip-licenses", required=True)
    parser.add_argument("--python", required=True, help="the interpreter of the environment to check")
    parser.add_argument("--policy", type=Path, default=DEFAULT_POLICY)
    args = parser.parse_args(argv)
    policy = Policy.load(args.policy)
    packages = installed_licences(args.pip_licenses, args.python)
    if not packages:
        print(f"licences: pip-licenses found no package in {args.python}", file=sys.stderr)
        return 2
    problems = violations(policy, packages)
    for problem in problems:
        print(f"licences: {problem}")
    print(f"licences: {len(packages)} packages, {len(problems)} not allowed", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
