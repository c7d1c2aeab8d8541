"""Cost allocation: every environment's provider tags every resource with who pays
(conveyor:team, conveyor:cost-center) and where (conveyor:environment), and every module adds
conveyor:component to each resource that takes tags. GCP modules do the same with labels, whose
keys cannot hold ':' (conveyor-component). The HCL is read with python-hcl2; which resource types
take tags or labels comes from `tofu providers schema -json` over the pinned providers."""

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
GOOGLE = "registry.opentofu.org/hashicorp/google"
VARIABLE = re.compile(r"^\$\{var\.([\w.]+)\}$")


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


def local_tags(config: dict[str, list[Any]], name: str = "tags") -> Any:
    found = [block[name] for block in config.get("locals", []) if name in block]
    assert len(found) == 1, f"expected one `{name}` local, found {len(found)}"
    return found[0]


def building_block(module: Path) -> bool:
    """A module other modules call (modules/client-security-group): it keeps their tags."""
    calls = re.compile(rf'source\s*=\s*"\.\./{re.escape(module.name)}"')
    return any(calls.search(tf.read_text()) for tf in module.parent.glob("*/*.tf") if tf.parent != module)


def module_convention(module: Path) -> tuple[str, str]:
    """(argument and local name, component key): GCP modules label, AWS modules tag."""
    if module.name.startswith("gcp-"):
        return "labels", "conveyor-component"
    return "tags", "conveyor:component"


def schema_types(root: Path, provider: str, argument: str, work: Path) -> frozenset[str]:
    """The provider's resource types whose schema has `argument` (tags, labels)."""
    env = environment(work)
    init = tofu(root, env, "init", "-backend=false", "-input=false", "-upgrade")
    assert init.returncode == 0, init.describe()
    done = tofu(root, env, "providers", "schema", "-json")
    assert done.returncode == 0, done.describe()
    resources = json.loads(done.output)["provider_schemas"][provider]["resource_schemas"]
    return frozenset(
        name for name, schema in resources.items() if argument in schema["block"].get("attributes", {})
    )


@pytest.fixture(scope="module")
def taggable(tmp_path_factory: pytest.TempPathFactory) -> frozenset[str]:
    """The AWS resource types with a `tags` argument and the Google ones with `labels`."""
    aws = schema_types(TERRAFORM / "modules" / "state-backend", AWS, "tags", tmp_path_factory.mktemp("aws"))
    assert {"aws_vpc", "aws_s3_bucket", "aws_eks_cluster"} <= aws and "aws_iam_role_policy" not in aws
    google = schema_types(
        TERRAFORM / "modules" / "gcp-network", GOOGLE, "labels", tmp_path_factory.mktemp("google")
    )
    assert {"google_kms_crypto_key", "google_secret_manager_secret"} <= google
    assert "google_compute_subnetwork" not in google
    return aws | google


def untagged(module: Path, taggable: frozenset[str]) -> list[str]:
    """The resources of a module that take tags but are not given the module's `local.tags`, and
    a `tags` local that is not the caller's tags plus the module's component."""
    config = parse(module)
    problems = []
    argument, component = module_convention(module)
    expected = f'${{merge(var.{argument}, {{"{component}" = "{module.name}"}})}}'
    if building_block(module):  # part of its caller's component, whose tags it is given
        expected = f"${{var.{argument}}}"
    if local_tags(config, argument) != expected:
        problems.append(f"local.{argument} must be {expected}")
    uses_local = re.compile(rf"\blocal\.{argument}\b")
    for block in config.get("resource", []):
        for kind, instances in block.items():
            kind = unquote(kind)
            if kind not in taggable:
                continue
            for name, body in instances.items():
                if not uses_local.search(str(body.get(argument, ""))):
                    problems.append(f"{kind}.{unquote(name)}: no {argument} = local.{argument}")
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


def test_a_gcp_resource_without_the_module_labels_is_found(tmp_path: Path, taggable: frozenset[str]) -> None:
    module = tmp_path / "gcp-archive"
    module.mkdir()
    (module / "main.tf").write_text(
        'locals {\n  labels = merge(var.labels, { "conveyor-component" = "gcp-archive" })\n}\n'
        'resource "google_storage_bucket" "labelled" {\n  labels = local.labels\n}\n'
        'resource "google_storage_bucket" "forgotten" {\n  name = "x"\n}\n'
        'resource "google_compute_network" "unlabelable" {\n  name = "x"\n}\n'
    )
    assert untagged(module, taggable) == ["google_storage_bucket.forgotten: no labels = local.labels"]


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
    """AWS environments: the provider's default_tags; GCP ones (envs/*-gcp): its default_labels."""
    directory = TERRAFORM / "envs" / root
    config = parse(directory)
    with (directory / "terraform.tfvars").open() as file:
        tfvars = hcl2.load(file)
    gcp = root.endswith("-gcp")
    provider_name, default, local_name = (
        ("google", "default_labels", "labels") if gcp else ("aws", "default_tags", "tags")
    )
    providers = [body for name, body in labelled(config.get("provider", [])) if name == provider_name]
    assert providers, f"envs/{root}: no {provider_name} provider"
    for provider in providers:
        given = provider.get(default) if gcp else [block["tags"] for block in provider.get(default, [])]
        assert given == ("${local.labels}" if gcp else ["${local.tags}"]), (
            f"envs/{root}: the {provider_name} provider's {default} must be local.{local_name}"
        )
    keys = tuple(key.replace(":", "-") for key in COST_TAGS) if gcp else COST_TAGS
    tags = {unquote(key): resolve(value, tfvars) for key, value in local_tags(config, local_name).items()}
    assert {key: bool(tags.get(key)) for key in keys} == dict.fromkeys(keys, True)
    assert tags[keys[2]] == ("shared" if root == "bootstrap" else root.removesuffix("-gcp"))
    # Modules tag their resources themselves too (the component on top): each call passes them.
    for name, call in labelled(config.get("module", [])):
        assert call.get(local_name) == f"${{local.{local_name}}}", (
            f"envs/{root}: module {name} is not given local.{local_name}"
        )
