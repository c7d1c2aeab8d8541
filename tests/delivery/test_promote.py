"""scripts/delivery/promote.py: a deploy is a commit that changes one overlay's image digest,
and it prints the digest it replaced (the rollback target)."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.delivery.conftest import REPO_ROOT, git, run

PROMOTE = REPO_ROOT / "scripts/delivery/promote.py"
OLD = "sha256:" + "a" * 64
NEW = "sha256:" + "b" * 64

KUSTOMIZATION = """\
# prod: three api replicas across zones (comment kept by promotions)
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
images:
  - name: ghcr.io/example/conveyor
    newTag: "0.1.0"
  - name: postgres
    newTag: "16"
"""


def overlays(repo: Path) -> Path:
    root = repo / "deploy/kustomize/overlays"
    (root / "prod").mkdir(parents=True)
    (root / "prod/kustomization.yaml").write_text(KUSTOMIZATION)
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "overlays")
    return root


def promote(root: Path, *args: str) -> tuple[int, str, str]:
    result = run(REPO_ROOT / ".venv/bin/python", PROMOTE, "--overlays", root, *args, cwd=root)
    return result.returncode, result.stdout.strip(), result.stderr.strip()


def test_promotion_commits_the_digest_and_prints_the_previous_one(git_repo: Path) -> None:
    root = overlays(git_repo)
    assert promote(root, "--environment", "prod", "--digest", OLD, "--commit") == (0, "", "")
    assert promote(root, "--environment", "prod", "--digest", NEW, "--commit") == (0, OLD, "")

    text = (root / "prod/kustomization.yaml").read_text()
    assert text.startswith("# prod: three api replicas across zones (comment kept by promotions)\n")
    images = yaml.safe_load(text)["images"]
    assert images == [
        {"name": "ghcr.io/example/conveyor", "digest": NEW},
        {"name": "postgres", "newTag": "16"},
    ]
    assert git(git_repo, "log", "-2", "--format=%s").splitlines() == [
        f"deploy(prod): conveyor@{NEW}",
        f"deploy(prod): conveyor@{OLD}",
    ]
    assert git(git_repo, "status", "--porcelain") == ""

    # the rollback: the previous digest back, by the same path
    assert promote(root, "--environment", "prod", "--digest", OLD, "--commit") == (0, NEW, "")
    assert yaml.safe_load((root / "prod/kustomization.yaml").read_text())["images"][0]["digest"] == OLD


def test_bad_input_is_named_and_changes_nothing(git_repo: Path) -> None:
    root = overlays(git_repo)
    assert promote(root, "--environment", "qa", "--digest", NEW) == (
        1, "", "promote: environment 'qa' is not one of dev, stage, prod"
    )  # fmt: skip
    status, _, err = promote(root, "--environment", "prod", "--digest", "latest")
    assert status == 1 and err == "promote: digest 'latest' is not sha256:<64 hex digits>"
    status, _, err = promote(root, "--environment", "dev", "--digest", NEW)
    assert status == 1 and err.endswith("dev/kustomization.yaml does not exist")
    (root / "prod/kustomization.yaml").write_text("resources: [../../base]\n")
    status, _, err = promote(root, "--environment", "prod", "--digest", NEW)
    assert status == 1 and "no `images:` entry named conveyor" in err
    assert (root / "prod/kustomization.yaml").read_text() == "resources: [../../base]\n"
