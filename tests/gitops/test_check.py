"""scripts/gitops/check.py: the repository passes; each kind of bad input is refused with the
file and the rule named."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gitops.support import TOOLS_BIN, check
from tests.support import REPO

CHECK = REPO / "scripts" / "gitops" / "check.py"
SOPS = TOOLS_BIN / "sops"
DIGEST = "sha256:" + "3" * 64


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A copy of what the checker reads: the overlays and deploy/gitops."""
    copy = tmp_path / "repo"
    for part in ("deploy/kustomize", "deploy/gitops"):
        shutil.copytree(REPO / part, copy / part)
    return copy


def findings(root: Path, base: str | None = None) -> list[str]:
    return check.check(root, base, SOPS, None)


def test_the_repository_keeps_every_rule() -> None:
    result = subprocess.run(
        [sys.executable, str(CHECK), "--base", "HEAD"], capture_output=True, text=True, timeout=120, cwd=REPO
    )
    assert result.returncode == 0, result.stderr
    assert "no finding" in result.stdout


def test_a_tag_in_prod_is_refused(root: Path) -> None:
    prod = root / "deploy/kustomize/overlays/prod/kustomization.yaml"
    text = prod.read_text()
    digest_line = next(line for line in text.splitlines() if "digest:" in line)
    prod.write_text(text.replace(digest_line, '    newTag: "0.2.0"'))
    assert findings(root) == [
        "deploy/kustomize/overlays/prod/kustomization.yaml: rule prod-image-by-digest: image "
        "ghcr.io/conveyor/conveyor is named by tag '0.2.0'; prod runs images by digest "
        "(digest: sha256:…, set by scripts/promote)"
    ]


def test_an_application_outside_the_projects_destinations_is_refused(root: Path) -> None:
    (root / "deploy/gitops/argocd/rogue.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: rogue, namespace: argocd}\n"
        "spec:\n  project: conveyor\n"
        "  source: {repoURL: 'https://github.com/conveyor/conveyor.git',"
        " path: deploy/kustomize/overlays/dev}\n"
        "  destination: {server: 'https://kubernetes.default.svc', namespace: kube-system}\n"
    )
    assert findings(root) == [
        "deploy/gitops/argocd/rogue.yaml: rule application-in-project: Application rogue deploys to "
        "https://kubernetes.default.svc namespace 'kube-system', outside AppProject conveyor's destinations"
    ]


def test_a_generated_application_outside_the_project_is_refused(root: Path) -> None:
    """A new overlay directory is a new Application: the project must allow its namespace."""
    shutil.copytree(root / "deploy/kustomize/overlays/dev", root / "deploy/kustomize/overlays/sandbox")
    assert findings(root) == [
        "deploy/gitops/argocd/applicationset.yaml: rule application-in-project: Application "
        "conveyor-sandbox deploys to https://kubernetes.default.svc namespace 'conveyor-sandbox', "
        "outside AppProject conveyor's destinations"
    ]


def test_a_foreign_source_repository_is_refused(root: Path) -> None:
    appset = root / "deploy/gitops/argocd/applicationset.yaml"
    appset.write_text(appset.read_text().replace("conveyor/conveyor.git", "someone/fork.git"))
    assert any(
        f.startswith("deploy/gitops/argocd/applicationset.yaml: rule application-in-project:")
        and "'https://github.com/someone/fork.git', not a source repository of conveyor" in f
        for f in findings(root)
    )


def test_a_promotion_that_skips_stage_is_refused(root: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)

    git("init", "--quiet")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t.invalid", "commit", "--quiet", "-m", "initial")
    prod = root / "deploy/kustomize/overlays/prod/kustomization.yaml"
    old = next(line.split()[-1] for line in prod.read_text().splitlines() if "digest:" in line)
    prod.write_text(prod.read_text().replace(old, DIGEST))
    assert findings(root, base="HEAD") == [
        f"deploy/kustomize/overlays/prod/kustomization.yaml: rule healthy-in-previous: {DIGEST} has not "
        "run healthy in stage (no record in deploy/gitops/health.yaml); "
        "promote it into stage and verify it first"
    ]
    health = root / "deploy/gitops/health.yaml"
    health.write_text(health.read_text().replace("stage: []", f"stage: ['{DIGEST}']"))
    assert findings(root, base="HEAD") == []
