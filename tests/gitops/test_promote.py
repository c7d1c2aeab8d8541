"""scripts/promote in a temporary git repository: one command, one commit, only the target
overlay changes; skipping an environment or promoting an unverified digest is refused with the
file and the rule named, and nothing is written."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.gitops.support import documents, run
from tests.support import REPO

PROMOTE = REPO / "scripts" / "promote"
D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with this one's overlays and health record, committed."""
    root = tmp_path / "repo"
    shutil.copytree(REPO / "deploy" / "kustomize", root / "deploy" / "kustomize")
    (root / "deploy" / "gitops").mkdir(parents=True)
    shutil.copy(REPO / "deploy" / "gitops" / "health.yaml", root / "deploy" / "gitops" / "health.yaml")
    git(tmp_path, "init", "--quiet", str(root))
    git(root, "add", ".")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t.invalid", "commit", "--quiet", "-m", "initial")
    return root


def promote(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(PROMOTE), "--repo", str(repo), *args], capture_output=True, text=True, timeout=60
    )


def changed_files(repo: Path) -> list[str]:
    return git(repo, "show", "--name-only", "--format=", "HEAD").split()


def overlay_image(repo: Path, environment: str) -> str:
    """The image the environment's Deployments run, as Kustomize renders the overlay."""
    rendered = documents(
        run("kubectl", "kustomize", str(repo / "deploy/kustomize/overlays" / environment)).stdout
    )
    images: set[str] = {
        c["image"]
        for d in rendered
        if d["kind"] == "Deployment"
        for c in d["spec"]["template"]["spec"]["containers"]
    }
    assert len(images) == 1, images
    return images.pop()


def test_dev_to_stage_is_one_command_and_one_commit(repo: Path) -> None:
    assert promote(repo, "record", "dev", D1).returncode == 0
    assert changed_files(repo) == ["deploy/gitops/health.yaml"]
    before = git(repo, "rev-parse", "HEAD").strip()

    result = promote(repo, "stage")

    assert result.returncode == 0, result.stderr
    assert git(repo, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
    assert changed_files(repo) == ["deploy/kustomize/overlays/stage/kustomization.yaml"]
    assert git(repo, "log", "-1", "--format=%s") == f"promote(stage): conveyor@{D1} from dev\n"
    assert overlay_image(repo, "stage") == f"ghcr.io/conveyor/conveyor@{D1}"
    # dev and prod are as they were; the overlay's comments are kept.
    assert overlay_image(repo, "dev") == "ghcr.io/conveyor/conveyor:0.1.0"
    stage = (repo / "deploy/kustomize/overlays/stage/kustomization.yaml").read_text()
    assert stage.startswith("# stage:")
    assert git(repo, "status", "--porcelain") == ""


def test_stage_to_prod_takes_what_stage_ran_healthy(repo: Path) -> None:
    for step in (("record", "dev", D1), ("stage",), ("record", "stage", D1), ("prod", "--from", "stage")):
        result = promote(repo, *step)
        assert result.returncode == 0, result.stderr
    assert changed_files(repo) == ["deploy/kustomize/overlays/prod/kustomization.yaml"]
    assert overlay_image(repo, "prod") == f"ghcr.io/conveyor/conveyor@{D1}"


def refused(repo: Path, *args: str) -> str:
    head = git(repo, "rev-parse", "HEAD")
    result = promote(repo, *args)
    assert result.returncode == 1, result.stdout
    assert git(repo, "rev-parse", "HEAD") == head, "a refused promotion committed"
    assert git(repo, "status", "--porcelain") == "", "a refused promotion wrote a file"
    return result.stderr


def test_skipping_stage_is_refused(repo: Path) -> None:
    promote(repo, "record", "dev", D1)
    message = refused(repo, "prod", "--from", "dev", "--digest", D1)
    assert (
        "deploy/kustomize/overlays/prod/kustomization.yaml: rule promotion-order: dev → prod skips stage"
        in message
    )


def test_a_digest_not_healthy_in_the_previous_environment_is_refused(repo: Path) -> None:
    promote(repo, "record", "dev", D1)
    promote(repo, "stage")
    # D1 runs in stage but was never verified there; D2 never ran anywhere.
    for digest in (D1, D2):
        message = refused(repo, "prod", "--digest", digest)
        assert (
            f"prod/kustomization.yaml: rule healthy-in-previous: {digest} has not run healthy in stage"
            in message
        )


def test_nothing_healthy_to_promote_is_refused(repo: Path) -> None:
    assert "rule healthy-in-previous: no digest has run healthy in dev yet" in refused(repo, "stage")


def test_dev_is_not_a_promotion_target(repo: Path) -> None:
    assert "rule promotion-order: dev is the first environment" in refused(repo, "dev", "--digest", D1)


def test_health_record_keeps_newest_first(repo: Path) -> None:
    for digest in (D1, D2, D1):
        assert promote(repo, "record", "dev", digest).returncode == 0
    health = yaml.safe_load((repo / "deploy/gitops/health.yaml").read_text())
    assert health["environments"]["dev"] == [D1, D2]
    assert (repo / "deploy/gitops/health.yaml").read_text().startswith("# The image digests")
