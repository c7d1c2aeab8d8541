"""The GitOps rules a commit must keep (ADR 0704), each finding naming the file and the rule:

prod-image-by-digest     the prod overlay names the conveyor image by digest, never by tag
application-in-project   every Argo CD Application (those the ApplicationSet generates and any
                         written by hand under deploy/gitops/argocd) names an AppProject that
                         exists, a destination it allows and a source repository it allows
sops-decryptable         every SOPS file under deploy/gitops (*.sops.yaml, *.sops.json)
                         decrypts with the age key given (SOPS_AGE_KEY_FILE or --age-key-file)
promotion-order          (with --base REF) an overlay whose digest changed since REF carries a
                         digest the previous environment ran healthy (deploy/gitops/health.yaml)

  python scripts/gitops/check.py [--root DIR] [--base REF] [--sops PATH] [--age-key-file PATH]
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from applicationset import applications
from promotion import ORDER, REPO, PromotionError, Repository, image_digest, overlay_path

ARGOCD = Path("deploy/gitops/argocd")
SOPS_PATTERNS = ("*.sops.yaml", "*.sops.json")
DEFAULT_SOPS = REPO / ".cache" / "tools" / "bin" / "sops"


def _documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]


def prod_image_by_digest(root: Path) -> list[str]:
    path = overlay_path("prod")
    document = yaml.safe_load((root / path).read_text()) or {}
    findings = []
    for entry in document.get("images") or []:
        if "newTag" in entry or "digest" not in entry:
            tag = entry.get("newTag", "<none>")
            findings.append(
                f"{path}: rule prod-image-by-digest: image {entry.get('name')} is named by tag {tag!r}; "
                "prod runs images by digest (digest: sha256:…, set by scripts/promote)"
            )
    return findings


def _allowed(pattern: str, value: str) -> bool:
    negated = pattern.startswith("!")
    matched = fnmatch.fnmatchcase(value, pattern.lstrip("!"))
    return not matched if negated else matched


def application_in_project(root: Path) -> list[str]:
    projects: dict[str, dict[str, Any]] = {}
    written: list[tuple[Path, dict[str, Any]]] = []
    for path in sorted((root / ARGOCD).rglob("*.yaml")):
        for document in _documents(path):
            if document.get("kind") == "AppProject":
                projects[document["metadata"]["name"]] = document["spec"]
            elif document.get("kind") == "Application":
                written.append((path.relative_to(root), document))
    appset = root / ARGOCD / "applicationset.yaml"
    generated = [(appset.relative_to(root), app) for app in applications(root, appset)]
    findings = []
    for path, app in [*generated, *written]:
        name, spec = app["metadata"]["name"], app["spec"]
        where = f"{path}: rule application-in-project: Application {name}"
        project = projects.get(spec.get("project", ""))
        if project is None:
            findings.append(f"{where} names AppProject {spec.get('project')!r}, which is not defined")
            continue
        destination = spec.get("destination", {})
        server, namespace = destination.get("server", ""), destination.get("namespace", "")
        if not any(
            _allowed(d.get("server", "*"), server) and _allowed(d.get("namespace", "*"), namespace)
            for d in project.get("destinations", [])
        ):
            findings.append(
                f"{where} deploys to {server} namespace {namespace!r}, outside AppProject "
                f"{spec['project']}'s destinations"
            )
        for source in spec.get("sources") or [spec.get("source", {})]:
            repo = source.get("repoURL", "")
            if not any(_allowed(allowed, repo) for allowed in project.get("sourceRepos", [])):
                findings.append(f"{where} takes {repo!r}, not a source repository of {spec['project']}")
    return findings


def sops_decryptable(root: Path, sops: Path, age_key_file: str | None) -> list[str]:
    files = sorted({p for pattern in SOPS_PATTERNS for p in (root / "deploy" / "gitops").rglob(pattern)})
    if not files:
        return []
    if not os.access(sops, os.X_OK):
        return [f"{files[0].relative_to(root)}: rule sops-decryptable: {sops} is missing (make tools)"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOPS_")}
    if age_key_file:
        env["SOPS_AGE_KEY_FILE"] = age_key_file
    findings = []
    for path in files:
        result = subprocess.run(
            [str(sops), "decrypt", "--output", os.devnull, str(path)],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        if result.returncode != 0:
            reason = result.stderr.strip().splitlines()[0] if result.stderr.strip() else "no output"
            findings.append(
                f"{path.relative_to(root)}: rule sops-decryptable: sops cannot decrypt it with the "
                f"age key given ({reason})"
            )
    return findings


def promotion_order(root: Path, base: str) -> list[str]:
    repository = Repository(root)
    findings = []
    for environment in ORDER[1:]:
        path = overlay_path(environment)
        before = subprocess.run(
            ["git", "-C", str(root), "show", f"{base}:{path}"],  # noqa: S607 (git from PATH, as a developer runs it)
            capture_output=True,
            text=True,
            check=False,
        )
        old = image_digest(before.stdout) if before.returncode == 0 else ""
        new = image_digest((root / path).read_text())
        if new and new != old:
            try:
                repository.check_promotion(environment, new)
            except PromotionError as refused:
                findings.append(str(refused))
    return findings


def check(root: Path, base: str | None, sops: Path, age_key_file: str | None) -> list[str]:
    findings = [
        *prod_image_by_digest(root),
        *application_in_project(root),
        *sops_decryptable(root, sops, age_key_file),
    ]
    if base is not None:
        findings += promotion_order(root, base)
    return findings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--root", type=Path, default=REPO)
    parser.add_argument("--base", help="a git ref: check the promotions made since it")
    parser.add_argument("--sops", type=Path, default=DEFAULT_SOPS)
    parser.add_argument("--age-key-file", default=os.environ.get("SOPS_AGE_KEY_FILE"))
    args = parser.parse_args(argv)
    findings = check(args.root.resolve(), args.base, args.sops, args.age_key_file)
    for finding in findings:
        print(finding, file=sys.stderr)
    if findings:
        return 1
    print("gitops rules: prod-image-by-digest, application-in-project, sops-decryptable"
          + (", promotion-order" if args.base else "") + ": no finding")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
