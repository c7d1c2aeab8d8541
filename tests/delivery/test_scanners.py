"""Each scanner `make security` runs finds what it is there to find: a green `make security`
means checked, not skipped. Every test plants a problem and asserts the tool's own report."""

from __future__ import annotations

import json
import secrets
import shutil
import string
from pathlib import Path

import licences
import yaml

from tests.delivery.conftest import FIXTURES, GO_TOOLS, PY_TOOLS, REPO_ROOT, git, run, tool


def test_actionlint_runs_shellcheck_on_run_scripts(tmp_path: Path) -> None:
    workflows = tmp_path / ".github/workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - run: echo $UNQUOTED\n"
        "      - run: echo ${{ matrix.nothing }}\n"
    )
    result = run(
        tool(GO_TOOLS / "actionlint"),
        "-shellcheck",
        shutil.which("shellcheck") or "missing",
        "-no-color",
        ".github/workflows/ci.yml",
        cwd=tmp_path,  # actionlint prints paths relative to where it runs (when shorter)
    )
    assert result.returncode == 1
    assert ".github/workflows/ci.yml:6:" in result.stdout and "SC2086" in result.stdout  # shellcheck
    assert ".github/workflows/ci.yml:7:" in result.stdout and "matrix" in result.stdout


def test_zizmor_flags_a_dangerous_pull_request_target_workflow(tmp_path: Path) -> None:
    result = run(
        tool(PY_TOOLS / "zizmor"),
        "--offline",
        "--no-progress",
        "--format",
        "json",
        FIXTURES / "zizmor-bait.yml",
    )
    assert result.returncode != 0
    audits = {finding["ident"] for finding in json.loads(result.stdout)}
    assert {"dangerous-triggers", "template-injection", "unpinned-uses", "excessive-permissions"} <= audits


def test_dependabot_schema_rejects_an_unknown_ecosystem_and_interval() -> None:
    check = tool(PY_TOOLS / "check-jsonschema")
    bad = run(check, "--builtin-schema", "vendor.dependabot", FIXTURES / "dependabot/invalid.yml")
    assert bad.returncode == 1
    assert "pipx" in bad.stdout and "sometimes" in bad.stdout
    good = run(check, "--builtin-schema", "vendor.dependabot", REPO_ROOT / ".github/dependabot.yml")
    assert good.returncode == 0, good.stdout


def test_bandit_finds_shell_injection_and_a_hardcoded_password() -> None:
    result = run(
        tool(PY_TOOLS / "bandit"),
        "-c",
        "scripts/delivery/bandit.yaml",
        "-f",
        "json",
        "-q",
        FIXTURES / "python/unsafe.py",
    )
    assert result.returncode == 1
    found = {(issue["test_id"], issue["line_number"]) for issue in json.loads(result.stdout)["results"]}
    assert ("B602", 7) in found  # subprocess with shell=True
    assert ("B105", 11) in found  # hardcoded password


def test_gitleaks_finds_a_secret_that_only_the_history_still_holds(git_repo: Path) -> None:
    gitleaks = tool(GO_TOOLS / "gitleaks")
    token = "ghp_" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(36))
    (git_repo / "settings.py").write_text(f'GITHUB_TOKEN = "{token}"\n')
    git(git_repo, "add", ".")
    git(git_repo, "commit", "--quiet", "-m", "add settings")
    leaked_in = git(git_repo, "rev-parse", "HEAD")
    (git_repo / "settings.py").write_text('GITHUB_TOKEN = os.environ["GITHUB_TOKEN"]\n')
    git(git_repo, "commit", "--quiet", "-am", "read the token from the environment")

    report = git_repo.parent / "report.json"
    history = run(
        gitleaks,
        "git",
        "--no-banner",
        "--redact",
        "--report-format",
        "json",
        "--report-path",
        report,
        "--config",
        REPO_ROOT / ".gitleaks.toml",
        git_repo,
    )
    assert history.returncode == 1
    [finding] = json.loads(report.read_text())
    assert (finding["RuleID"], finding["File"], finding["Commit"]) == ("github-pat", "settings.py", leaked_in)
    assert token not in report.read_text()  # --redact: the report does not spread the secret

    tree = run(gitleaks, "dir", "--no-banner", "--config", REPO_ROOT / ".gitleaks.toml", git_repo)
    assert tree.returncode == 0, tree.stdout + tree.stderr


def test_trivy_and_checkov_fail_a_root_dockerfile_on_latest() -> None:
    trivy = run(
        tool(PY_TOOLS / "trivy"),
        "config",
        "--skip-check-update",
        "--quiet",
        "--exit-code",
        "1",
        "--format",
        "json",
        FIXTURES / "dockerfile",
    )
    assert trivy.returncode == 1
    failed = {m["ID"] for r in json.loads(trivy.stdout)["Results"] for m in r.get("Misconfigurations", [])}
    assert {"DS-0001", "DS-0002"} <= failed or {"DS001", "DS002"} <= failed  # ':latest', runs as root

    checkov = run(
        tool(PY_TOOLS / "checkov"),
        "--quiet",
        "--compact",
        "--skip-download",
        "--framework",
        "dockerfile",
        "-o",
        "json",
        "-d",
        FIXTURES / "dockerfile",
        env={"BC_SKIP_MAPPING": "TRUE"},
    )
    assert checkov.returncode == 1
    checks = {c["check_id"] for c in json.loads(checkov.stdout)["results"]["failed_checks"]}
    assert {"CKV_DOCKER_3", "CKV_DOCKER_7"} <= checks  # no USER; latest tag


def test_licence_policy_reads_expressions() -> None:
    policy = licences.Policy.load(REPO_ROOT / "scripts/delivery/licences.toml")
    assert policy.allows("MIT")
    assert policy.allows("MIT License")  # a trove classifier
    assert policy.allows("GPL-3.0-only OR Apache-2.0")
    assert not policy.allows("GPL-3.0-only")
    assert not policy.allows("Apache-2.0 AND GPL-2.0-only")
    assert policy.allows("Apache Software License; BSD License")
    packages = [
        {"Name": "copyleft", "Version": "1.0", "License": "GPL-3.0-only"},
        {"Name": "mystery", "Version": "2.0", "License": "UNKNOWN"},
        {"Name": "fine", "Version": "3.0", "License": "BSD-3-Clause"},
    ]
    assert licences.violations(policy, packages) == [
        "copyleft==1.0: 'GPL-3.0-only' is not on the allow-list",
        "mystery==2.0: no licence in its metadata (review it; add it to [reviewed])",
    ]


def test_the_locked_environment_passes_the_licence_check() -> None:
    result = run(
        REPO_ROOT / ".venv/bin/python",
        "scripts/delivery/licences.py",
        "--pip-licenses",
        tool(PY_TOOLS / "pip-licenses"),
        "--python",
        REPO_ROOT / ".venv/bin/python",
    )
    assert result.returncode == 0, result.stdout
    assert "0 not allowed" in result.stderr


def test_dependency_review_allows_the_same_licences_as_the_offline_check() -> None:
    workflow = yaml.safe_load((REPO_ROOT / ".github/workflows/dependency-review.yml").read_text())
    [step] = [
        s for s in workflow["jobs"]["review"]["steps"] if "dependency-review-action" in s.get("uses", "")
    ]
    on_github = {name.strip() for name in step["with"]["allow-licenses"].split(",")}
    policy = licences.Policy.load(REPO_ROOT / "scripts/delivery/licences.toml")
    assert on_github == set(policy.allowed)
