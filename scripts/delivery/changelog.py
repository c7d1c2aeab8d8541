"""Release notes for a tag: the commits since the previous tag, and how to check the image.

    python scripts/delivery/changelog.py --tag v1.2.0 --output dist/release/notes.md

Standard library only (release.yml runs it without the project's environment).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

SEMVER_TAG = re.compile(r"^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")


def git(*args: str) -> str:
    result = subprocess.run(["git", *args], capture_output=True, text=True, check=False)  # noqa: S607
    if result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout.strip()


def previous_tag(tag: str) -> str | None:
    try:
        return git("describe", "--tags", "--abbrev=0", "--match", "v*.*.*", f"{tag}^")
    except RuntimeError:
        return None  # the first release


def notes(tag: str) -> str:
    previous = previous_tag(tag)
    span = f"{previous}..{tag}" if previous else tag
    commits = git("log", "--no-merges", "--format=- %s (%h)", span).splitlines()
    date = git("log", "-1", "--format=%cs", tag)
    version = tag.removeprefix("v")
    return "\n".join(
        [
            f"## Conveyor {version} ({date})",
            "",
            f"Changes since {previous}:" if previous else "First release.",
            "",
            *(commits or ["- (no changes)"]),
            "",
            "### Image",
            "",
            f"`ghcr.io/<owner>/conveyor:{version}`, signed (cosign, keyless) with SLSA v1 provenance and an",
            "SPDX SBOM attached; deploy it by digest. Check it before use: see docs/delivery.md",
            '("Verify an image").',
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tag", required=True)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(argv)
    if not SEMVER_TAG.match(args.tag):
        print(f"changelog: tag {args.tag!r} is not vMAJOR.MINOR.PATCH", file=sys.stderr)
        return 2
    try:
        text = notes(args.tag)
    except RuntimeError as exc:
        print(f"changelog: {exc}", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(f"changelog: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
