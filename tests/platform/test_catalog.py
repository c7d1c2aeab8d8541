"""catalog-info.yaml is what a Backstage catalog would ingest: Backstage's own validators accept
every entity, every relation resolves, the API's OpenAPI definition and TechDocs are there —
and the same validator refuses what Backstage would refuse."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.platform.conftest import VALIDATOR, tool, validator_installed
from tests.support import REPO


def validate(*files: Path) -> subprocess.CompletedProcess[str]:
    validator_installed()
    return subprocess.run(
        [tool("node"), str(VALIDATOR), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_catalog_describes_the_system_its_components_api_resources_and_owner() -> None:
    result = validate(REPO / "catalog-info.yaml")
    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.split()) == sorted(
        [
            "group:default/conveyor-maintainers",
            "system:default/conveyor",
            "api:default/conveyor-api",
            "component:default/conveyor-api-server",
            "component:default/conveyor-web",
            "component:default/conveyor-worker",
            "component:default/conveyor-scheduler",
            "resource:default/conveyor-postgresql",
            "resource:default/conveyor-redis",
        ]
    )


BAD = {
    "a name Backstage refuses": (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: Not Valid!}\n"
        "spec: {type: service, lifecycle: production, owner: group:conveyor-maintainers}\n",
        "metadata.name",
    ),
    "a Component without an owner": (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: ownerless}\n"
        "spec: {type: service, lifecycle: production}\n",
        "owner",
    ),
    "a kind nobody validates": (
        "apiVersion: backstage.io/v1alpha1\nkind: Gadget\nmetadata: {name: gizmo}\nspec: {}\n",
        "no validator for kind Gadget",
    ),
    "an owner no file defines": (
        "apiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata: {name: orphan}\n"
        "spec: {type: database, owner: group:nobody}\n",
        "spec.owner refers to group:default/nobody, which no file defines",
    ),
    "an API definition that is missing": (
        "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: {name: ghost}\n"
        "spec: {type: openapi, lifecycle: production, owner: group:conveyor-maintainers,"
        " definition: {$text: ./missing.json}}\n",
        "$text ./missing.json does not exist",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_the_validator_refuses_what_backstage_would(case: str, tmp_path: Path) -> None:
    text, message = BAD[case]
    owner = (REPO / "catalog-info.yaml").read_text().split("---")[0]  # the Group document
    bad = tmp_path / "catalog-info.yaml"
    bad.write_text(owner + "---\n" + text)
    result = validate(bad)
    assert result.returncode == 1
    assert message in result.stderr, result.stderr
