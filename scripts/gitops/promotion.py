"""Promotion through the environments, dev → stage → prod (ADR 0703): a digest moves into an
environment only from the one before it, and only once it ran healthy there.

What "ran healthy" means is recorded in deploy/gitops/health.yaml (the deploy workflow appends
a digest after the environment's post-deploy verification). The overlay edit itself is the
delivery area's (scripts/delivery/promote.py, ADR 0601): one line, comments kept.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))
from promote import DIGEST, PromotionError, set_digest

REPO = Path(__file__).resolve().parents[2]
ORDER = ("dev", "stage", "prod")
HEALTH = Path("deploy/gitops/health.yaml")
HEALTH_HEADER = re.compile(r"\A((?:#.*\n)*)")

__all__ = ["DIGEST", "ORDER", "PromotionError", "Repository"]


def overlay_path(environment: str) -> Path:
    return Path("deploy/kustomize/overlays") / environment / "kustomization.yaml"


def image_digest(kustomization_text: str) -> str:
    """The conveyor image's digest in an overlay ('' when it names a tag)."""
    document = yaml.safe_load(kustomization_text) or {}
    for entry in document.get("images") or []:
        if str(entry.get("name", "")).endswith("/conveyor"):
            return str(entry.get("digest", ""))
    return ""


@dataclass
class Repository:
    """A checkout of this repository (the real one, or a test's temporary copy)."""

    root: Path

    def health(self) -> dict[str, list[str]]:
        path = self.root / HEALTH
        if not path.exists():
            raise PromotionError(f"{HEALTH}: missing (the record of healthy digests per environment)")
        document: Any = yaml.safe_load(path.read_text()) or {}
        environments = document.get("environments") if isinstance(document, dict) else None
        if not isinstance(environments, dict):
            raise PromotionError(f"{HEALTH}: expected `environments:` mapping each environment to digests")
        return {env: [str(d) for d in environments.get(env) or []] for env in ORDER}

    def previous(self, environment: str) -> str:
        if environment not in ORDER:
            raise PromotionError(f"environment {environment!r} is not one of {', '.join(ORDER)}")
        index = ORDER.index(environment)
        if index == 0:
            raise PromotionError(
                f"{overlay_path(environment)}: rule promotion-order: {environment} is the first environment; "
                "builds reach it from CI or image automation, not by promotion"
            )
        return ORDER[index - 1]

    def check_promotion(self, target: str, digest: str, source: str | None = None) -> str:
        """The environment ``digest`` comes from; refuses a skipped environment or an unhealthy digest."""
        previous = self.previous(target)
        if source is not None and source != previous:
            skipped = ORDER[ORDER.index(source) + 1 : ORDER.index(target)] if source in ORDER else []
            why = (
                f"skips {', '.join(skipped)}" if skipped else f"{source} does not come right before {target}"
            )
            raise PromotionError(
                f"{overlay_path(target)}: rule promotion-order: {source} → {target} {why}; "
                f"promote into {target} from {previous} only"
            )
        if not DIGEST.match(digest):
            raise PromotionError(f"{overlay_path(target)}: digest {digest!r} is not sha256:<64 hex digits>")
        if digest not in self.health()[previous]:
            raise PromotionError(
                f"{overlay_path(target)}: rule healthy-in-previous: {digest} has not run healthy in "
                f"{previous} (no record in {HEALTH}); promote it into {previous} and verify it first"
            )
        return previous

    def promote(self, target: str, digest: str | None = None, source: str | None = None) -> str:
        """Set ``target``'s overlay to ``digest`` (default: the newest healthy one of the previous
        environment) and commit that one file. Returns the commit message."""
        previous = self.previous(target)
        if digest is None:
            healthy = self.health()[previous]
            if not healthy:
                raise PromotionError(
                    f"{HEALTH}: rule healthy-in-previous: no digest has run healthy in {previous} yet"
                )
            digest = healthy[0]
        self.check_promotion(target, digest, source)
        path = self.root / overlay_path(target)
        text, replaced = set_digest(path.read_text(), digest, path)
        if replaced == digest:
            raise PromotionError(f"{overlay_path(target)}: already at {digest}")
        path.write_text(text)
        message = f"promote({target}): conveyor@{digest} from {previous}"
        self._commit(message, overlay_path(target))
        return message

    def record(self, environment: str, digest: str) -> str:
        """Note that ``environment`` runs ``digest`` healthy (newest first) and commit it."""
        if environment not in ORDER:
            raise PromotionError(f"environment {environment!r} is not one of {', '.join(ORDER)}")
        if not DIGEST.match(digest):
            raise PromotionError(f"digest {digest!r} is not sha256:<64 hex digits>")
        health = self.health()
        health[environment] = [digest, *(d for d in health[environment] if d != digest)]
        path = self.root / HEALTH
        header = match.group(1) if (match := HEALTH_HEADER.match(path.read_text())) else ""
        path.write_text(header + yaml.safe_dump({"environments": health}, sort_keys=False))
        message = f"health({environment}): conveyor@{digest} verified"
        self._commit(message, HEALTH)
        return message

    def _commit(self, message: str, path: Path) -> None:
        git = ["git", "-C", str(self.root)]
        subprocess.run([*git, "add", "--", str(path)], check=True)
        subprocess.run(
            [*git, "-c", "user.name=conveyor-promote", "-c", "user.email=deploy@conveyor.invalid",
             "commit", "--quiet", "-m", message, "--", str(path)],
            check=True,
        )  # fmt: skip
