"""Promote an image digest into one environment's Kustomize overlay (the GitOps deploy, ADR 0601).

    python scripts/delivery/promote.py --environment dev --digest sha256:... [--commit]

Sets ``digest:`` of the ``conveyor`` image in deploy/kustomize/overlays/<env>/kustomization.yaml
(and drops a ``newTag:``: prod runs images by digest), prints the digest it replaced (empty
when there was none) so a failed deploy can be rolled back to it, and with ``--commit`` commits
that one file. The file is edited line by line, so its comments and layout stay as written.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ENVIRONMENTS = ("dev", "stage", "prod")
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
IMAGE_NAME = re.compile(r"^(.*/)?conveyor$")
DEFAULT_OVERLAYS = Path(__file__).resolve().parents[2] / "deploy/kustomize/overlays"


class PromotionError(Exception):
    pass


def _image_entry(document: Any, path: Path) -> dict[str, Any]:
    images = document.get("images") if isinstance(document, dict) else None
    for entry in images or []:
        if isinstance(entry, dict) and IMAGE_NAME.match(str(entry.get("name", ""))):
            return entry
    raise PromotionError(f"{path}: no `images:` entry named conveyor (…/conveyor) to set the digest of")


def set_digest(text: str, digest: str, path: Path) -> tuple[str, str]:
    """The kustomization with the conveyor image at ``digest``, and the digest it had ('' if none)."""
    entry = _image_entry(yaml.safe_load(text), path)
    previous = str(entry.get("digest", ""))
    lines = text.splitlines(keepends=True)
    start = next(
        i
        for i, line in enumerate(lines)
        if re.match(rf"^\s*-\s+name:\s*['\"]?{re.escape(entry['name'])}['\"]?\s*$", line)
    )
    indent = len(lines[start]) - len(lines[start].lstrip(" -"))
    end = start + 1
    while end < len(lines) and (
        not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) >= indent
    ):
        if lines[end].lstrip().startswith("- "):
            break
        end += 1
    body = [line for line in lines[start + 1 : end] if not re.match(r"^\s*(digest|newTag):", line)]
    new_lines = [*lines[: start + 1], " " * indent + f"digest: {digest}\n", *body, *lines[end:]]
    result = "".join(new_lines)
    if _image_entry(yaml.safe_load(result), path).get("digest") != digest:
        raise PromotionError(f"{path}: the edit did not take (unexpected layout of the images entry)")
    return result, previous


def promote(overlays: Path, environment: str, digest: str, commit: bool) -> str:
    if environment not in ENVIRONMENTS:
        raise PromotionError(f"environment {environment!r} is not one of {', '.join(ENVIRONMENTS)}")
    if not DIGEST.match(digest):
        raise PromotionError(f"digest {digest!r} is not sha256:<64 hex digits>")
    path = overlays / environment / "kustomization.yaml"
    if not path.exists():
        raise PromotionError(f"{path} does not exist")
    text, previous = set_digest(path.read_text(), digest, path)
    if previous == digest:
        return previous
    path.write_text(text)
    if commit:
        subprocess.run(["git", "add", str(path)], check=True, cwd=path.parent)  # noqa: S607
        subprocess.run(
            [  # noqa: S607
                "git", "-c", "user.name=conveyor-deploy", "-c", "user.email=deploy@conveyor.invalid",
                "commit", "--quiet", "-m", f"deploy({environment}): conveyor@{digest}", "--", str(path),
            ],
            check=True,
            cwd=path.parent,
        )  # fmt: skip
    return previous


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--environment", required=True)
    parser.add_argument("--digest", required=True)
    parser.add_argument("--overlays", type=Path, default=DEFAULT_OVERLAYS)
    parser.add_argument("--commit", action="store_true")
    args = parser.parse_args(argv)
    try:
        print(promote(args.overlays, args.environment, args.digest, args.commit))
    except PromotionError as exc:
        print(f"promote: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
