"""Cost allocation on AWS: every environment's provider tags every resource with who pays
(conveyor:team, conveyor:cost-center) and where (conveyor:environment), and every module adds
conveyor:component to each resource that takes tags. The HCL is read with python-hcl2; which
resource types take tags comes from `tofu providers schema -json` over the pinned provider."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import hcl2
import pytest

from tests.terraform.support import ENVIRONMENTS, MODULES, TERRAFORM, environment, tofu

COST_TAGS = ("conveyor:team", "conveyor:cost-center", "conveyor:environment")
AWS = "registry.opentofu.org/hashicorp/aws"
VARIABLE = re.compile(r"^\$\{var\.([\w.]+)\}$")
USES_MODULE_TAGS = re.compile(r"\blocal\.tags\b")


def unquote(value: Any) -> Any:
    """python-hcl2 keeps the quotes of string literals and of quoted keys and labels."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def parse(directory: Path) -> dict[str, list[Any]]:
    """All blocks of a root or module, its *.tf files (symlinks followed) merged."""
    merged: dict[str, list[Any]] = {}
    for path in sorted(directory.glob("*.tf")):
        with path.open() as file:
            for kind, blocks in hcl2.load(file).items():
                if isinstance(blocks, list):
                    merged.setdefault(kind, []).extend(blocks)
    return merged


def labelled(blocks: list[Any]) -> list[tuple[str, Any]]:
    """[(label, body)] of blocks with one label (provider "aws", module "x")."""
    return [(unquote(label), body) for block in blocks for label, body in block.items()]


def local_tags(config: dict[str, list[Any]]) -> Any:
    found = [block["tags"] for block in config.get("locals", []) if "tags" in block]
    assert len(found) == 1, f"expected one `tags` local, found {len(found)}"
    return found[0]


@pytest.fixture(scope="module")
def taggable(tmp_path_factory: pytest.TempPathFactory) -> frozenset[str]:
    """The AWS resource types whose schema has a `tags` argument."""
    root = TERRAFORM / "modules" / "state-backend"
    env = environment(tmp_path_factory.mktemp("schema"))
    init = tofu(root, env, "init", "-backend=false", "-input=false", "-upgrade")
    assert init.returncode == 0, init.describe()
    done = tofu(root, env, "providers", "schema", "-json")
    assert done.returncode == 0, done.describe()
    resources = json.loads(done.output)["provider_schemas"][AWS]["resource_schemas"]
    types = frozenset(
        name for name, schema in resources.items() if "tags" in schema["block"].get("attributes", {})
    )
    assert {"aws_vpc", "aws_s3_bucket", "aws_eks_cluster"} <= types and "aws_iam_role_policy" not in types
    return types


def untagged(module: Path, taggable: frozenset[str]) -> list[str]:
    """The resources of a module that take tags but are not given the module's `local.tags`, and
    a `tags` local that is not the caller's tags plus the module's component."""
    config = parse(module)
    problems = []
    expected = f'${{merge(var.tags, {{"conveyor:component" = "{module.name}"}})}}'
    if local_tags(config) != expected:
        problems.append(f"local.tags must be {expected}")
    for block in config.get("resource", []):
        for kind, instances in block.items():
            kind = unquote(kind)
            if kind not in taggable:
                continue
            for name, body in instances.items():
                if not USES_MODULE_TAGS.search(str(body.get("tags", ""))):
                    problems.append(f"{kind}.{unquote(name)}: no tags = local.tags")
    return problems


@pytest.mark.parametrize("module", MODULES)
def test_every_taggable_resource_of_the_module_carries_its_tags(
    module: str, taggable: frozenset[str]
) -> None:
    assert untagged(TERRAFORM / "modules" / module, taggable) == []


def test_a_resource_without_the_module_tags_is_found(tmp_path: Path, taggable: frozenset[str]) -> None:
    module = tmp_path / "archive"
    module.mkdir()
    (module / "main.tf").write_text(
        'locals {\n  tags = merge(var.tags, { "conveyor:component" = "archive" })\n}\n'
        'resource "aws_s3_bucket" "tagged" {\n  tags = local.tags\n}\n'
        'resource "aws_s3_bucket" "forgotten" {\n  bucket = "x"\n}\n'
        'resource "aws_sqs_queue" "callers_only" {\n  tags = var.tags\n}\n'
        'resource "aws_s3_bucket_policy" "untaggable" {\n  bucket = "x"\n}\n'
    )
    assert untagged(module, taggable) == [
        "aws_s3_bucket.forgotten: no tags = local.tags",
        "aws_sqs_queue.callers_only: no tags = local.tags",
    ]
    (module / "main.tf").write_text("locals {\n  tags = var.tags\n}\n")
    assert untagged(module, taggable) == [
        'local.tags must be ${merge(var.tags, {"conveyor:component" = "archive"})}'
    ]


def resolve(expression: str, tfvars: dict[str, Any]) -> str:
    """A tag value: a literal, or a `var.x.y` read from the root's terraform.tfvars."""
    reference = VARIABLE.match(expression)
    if not reference:
        return str(unquote(expression))
    value: Any = tfvars
    for key in reference[1].split("."):
        assert isinstance(value, dict) and key in value, f"var.{reference[1]} is not in terraform.tfvars"
        value = value[key]
    return str(unquote(value))


@pytest.mark.parametrize("root", ENVIRONMENTS)
def test_every_environment_tags_every_resource_with_who_pays(root: str) -> None:
    directory = TERRAFORM / "envs" / root
    config = parse(directory)
    with (directory / "terraform.tfvars").open() as file:
        tfvars = hcl2.load(file)
    providers = [body for name, body in labelled(config.get("provider", [])) if name == "aws"]
    assert providers, f"envs/{root}: no aws provider"
    for provider in providers:
        assert [block["tags"] for block in provider.get("default_tags", [])] == ["${local.tags}"], (
            f"envs/{root}: the aws provider's default_tags must be local.tags"
        )
    tags = {unquote(key): resolve(value, tfvars) for key, value in local_tags(config).items()}
    assert {key: bool(tags.get(key)) for key in COST_TAGS} == dict.fromkeys(COST_TAGS, True)
    assert tags["conveyor:environment"] == ("shared" if root == "bootstrap" else root)
    # Modules tag their resources themselves too (conveyor:component on top): each call passes them.
    for name, call in labelled(config.get("module", [])):
        assert call.get("tags") == "${local.tags}", f"envs/{root}: module {name} is not given local.tags"
