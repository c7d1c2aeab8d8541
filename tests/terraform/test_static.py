"""What needs no provider: formatting, tflint, the generated READMEs, the module's own chart, the
GCP modules' outputs against the AWS ones."""

from __future__ import annotations

import subprocess

import hcl2
import pytest
import yaml

from tests.terraform.support import MODULES, TERRAFORM, TOFU, TOOLS_BIN


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


def test_formatted() -> None:
    done = run(str(TOFU), "fmt", "-check", "-recursive", "-diff", "-no-color", str(TERRAFORM))
    assert done.returncode == 0, (
        f"`tofu fmt -recursive infra/terraform` would change:\n{done.stdout}{done.stderr}"
    )


def test_tflint_finds_nothing() -> None:
    done = run(
        str(TOOLS_BIN / "tflint"),
        f"--chdir={TERRAFORM}",
        "--recursive",
        f"--config={TERRAFORM / '.tflint.hcl'}",
        "--format=compact",
        "--no-color",
    )
    assert done.returncode == 0, f"tflint findings:\n{done.stdout}{done.stderr}"


@pytest.mark.parametrize("module", MODULES)
def test_readme_is_generated_from_the_module(module: str) -> None:
    """README.md's inputs/outputs table is terraform-docs' output for the module as it is."""
    readme = TERRAFORM / "modules" / module / "README.md"
    assert readme.is_file(), f"{readme} is missing — run `make terraform-docs`"
    done = run(
        str(TOOLS_BIN / "terraform-docs"),
        "--config",
        str(TERRAFORM / ".terraform-docs.yml"),
        "--output-check",
        str(TERRAFORM / "modules" / module),
    )
    assert done.returncode == 0, f"{readme} is stale — run `make terraform-docs`:\n{done.stdout}{done.stderr}"


def test_external_secrets_chart_renders_the_urls_the_chart_expects() -> None:
    """modules/conveyor installs this chart: Helm lints and renders it, and it yields the two
    Secrets (conveyor-database, conveyor-redis, key url) that Conveyor's chart reads."""
    chart = TERRAFORM / "modules" / "conveyor" / "secrets-chart"
    helm = str(TOOLS_BIN / "helm")
    lint = run(helm, "lint", "--strict", str(chart))
    assert lint.returncode == 0, lint.stdout + lint.stderr
    values = [
        "--set", "database.secretArn=arn:aws:secretsmanager:eu-west-1:123456789012:secret:db",
        "--set", "database.address=db.example.internal",
        "--set", "redis.secretArn=arn:aws:secretsmanager:eu-west-1:123456789012:secret:redis",
        "--set", "redis.address=redis.example.internal",
    ]  # fmt: skip
    done = run(helm, "template", "conveyor-secrets", str(chart), *values)
    assert done.returncode == 0, done.stdout + done.stderr
    documents = [d for d in yaml.safe_load_all(done.stdout) if d]
    secrets = {d["spec"]["target"]["name"]: d for d in documents if d["kind"] == "ExternalSecret"}
    assert set(secrets) == {"conveyor-database", "conveyor-redis"}
    database_url = secrets["conveyor-database"]["spec"]["target"]["template"]["data"]["url"]
    assert database_url.startswith("postgresql://") and "@db.example.internal:5432/conveyor" in database_url
    assert "sslmode=verify-full" in database_url
    redis_url = secrets["conveyor-redis"]["spec"]["target"]["template"]["data"]["url"]
    assert redis_url.startswith("rediss://") and "@redis.example.internal:6379" in redis_url
    store = next(d for d in documents if d["kind"] == "SecretStore")
    assert store["spec"]["provider"]["aws"]["service"] == "SecretsManager"


@pytest.mark.parametrize("module", ["network", "cluster", "postgres"])
def test_gcp_module_gives_every_output_of_the_aws_one(module: str) -> None:
    """An environment switches clouds by module source: every output it may read from the AWS
    module exists in the GCP one (ADR 0907; null where GCP has no equivalent)."""

    def outputs(name: str) -> set[str]:
        with (TERRAFORM / "modules" / name / "outputs.tf").open() as file:
            return {label.strip('"') for block in hcl2.load(file).get("output", []) for label in block}

    missing = outputs(module) - outputs(f"gcp-{module}")
    assert not missing, f"modules/gcp-{module} lacks the outputs {sorted(missing)} of modules/{module}"
