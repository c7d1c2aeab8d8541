"""The golden path: Copier renders templates/worker-project into a new project, which installs
like a team's would (Conveyor as its dependency), passes its own lint and its own tests against a
real Conveyor (embedded PostgreSQL, API and worker processes that load the new handler), and
whose Dockerfile, CI workflow, Helm values and Backstage entity are accepted by the tools that
read them."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.platform.conftest import VALIDATOR, tool, validator_installed
from tests.support import REPO

TEMPLATE = REPO / "templates" / "worker-project"
UV = REPO / ".tools" / "bin" / "uv"
ANSWERS = {
    "project_name": "thumbnails-worker",
    "job_type": "thumbnails.resize",
    "team": "conveyor-maintainers",
}


def run(*args: str | Path, cwd: Path = REPO, **env: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(a) for a in args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
        env={**os.environ, **env},
        check=False,
    )
    assert done.returncode == 0, f"{args[0]} failed:\n{done.stdout}\n{done.stderr}"
    return done


def render(target: Path, **answers: str) -> subprocess.CompletedProcess[str]:
    data = [f"--data={key}={value}" for key, value in {**ANSWERS, **answers}.items()]
    return subprocess.run(
        [tool("copier"), "copy", "--defaults", "--quiet", *data, str(TEMPLATE), str(target)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("golden") / "thumbnails-worker"
    rendered = render(target, conveyor_requirement=f"conveyor @ {REPO.as_uri()}")
    assert rendered.returncode == 0, rendered.stderr
    return target


@pytest.fixture(scope="module")
def project_python(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh environment with the project and its test extras, Conveyor's dependencies held at
    the versions this repository locks (uv.lock) so the test sees what CI tested."""
    where = tmp_path_factory.mktemp("venv")
    constraints = where / "constraints.txt"
    exported = run(UV, "export", "--frozen", "--no-hashes", "--no-emit-project", "--all-groups", "--quiet")
    constraints.write_text(exported.stdout)
    venv = where / "venv"
    run(UV, "venv", "--quiet", "--python", REPO / ".venv" / "bin" / "python", venv)
    run(
        UV,
        "pip",
        "install",
        "--quiet",
        "--python",
        venv / "bin" / "python",
        "-c",
        constraints,
        f"{project}[test]",
    )
    return venv / "bin"


def test_the_generated_project_passes_its_own_lint_and_tests(project: Path, project_python: Path) -> None:
    run(project_python / "ruff", "check", ".", cwd=project)
    run(project_python / "ruff", "format", "--check", ".", cwd=project)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONVEYOR_", "PYTEST_"))}
    tests = subprocess.run(
        [project_python / "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "4 passed" in tests.stdout
    jobs = (project / "src" / "thumbnails_worker" / "jobs.py").read_text()
    assert '@registry.handler("thumbnails.resize")' in jobs


def test_its_workflow_values_and_catalog_entity_are_accepted(project: Path, tmp_path: Path) -> None:
    checker = tool("check-jsonschema")
    run(checker, "--builtin-schema", "vendor.github-workflows", project / ".github" / "workflows" / "ci.yml")
    # The values as Helm merges them (chart defaults, the project's file, the digest set at deploy)
    # against the chart's schema.
    chart = REPO / "deploy" / "helm" / "conveyor"
    merged = merge(
        yaml.safe_load((chart / "values.yaml").read_text()),
        yaml.safe_load((project / "deploy" / "values.yaml").read_text()),
    )
    merged["image"]["digest"] = "sha256:" + "0" * 64
    values = tmp_path / "values.yaml"
    values.write_text(yaml.safe_dump(merged))
    run(checker, "--schemafile", chart / "values.schema.json", values)
    assert merged["image"]["repository"] == "ghcr.io/conveyor-maintainers/thumbnails-worker"
    assert merged["costAllocation"]["team"] == "conveyor-maintainers"
    dockerfile = (project / "Dockerfile").read_text()
    assert "FROM ${CONVEYOR_IMAGE}" in dockerfile and "site-packages" in dockerfile
    hadolint = REPO / ".cache" / "image" / "tools" / "bin" / "hadolint"
    assert hadolint.exists(), "hadolint is missing: run `make image-tools`"
    run(hadolint, "--config", REPO / "deploy" / "docker" / "hadolint.yaml", project / "Dockerfile")
    # The team's entity joins Conveyor's catalog: its owner, system and API resolve there.
    validator_installed()
    catalog = run(tool("node"), VALIDATOR, REPO / "catalog-info.yaml", project / "catalog-info.yaml")
    assert "component:default/thumbnails-worker" in catalog.stdout.split()


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"project_name": "Bad Name"}, "lower-case letters, digits and dashes"),
        ({"job_type": "resize"}, "dotted lower-case names"),
        ({"team": "Payments Team"}, "it becomes a label value"),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_written(
    answers: dict[str, str], message: str, tmp_path: Path
) -> None:
    target = tmp_path / "project"
    result = render(target, **answers)
    assert result.returncode != 0
    assert message in result.stderr + result.stdout
    assert not target.exists() or not any(target.iterdir())


def merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        return {**base, **{k: merge(base.get(k), v) for k, v in override.items()}}
    return override
