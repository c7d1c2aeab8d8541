"""Docs move with the code: every setting is in the README's configuration table."""

from __future__ import annotations

from typing import Any

from conveyor.settings import ENV_PREFIX, Settings
from tests.support import REPO


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text()
    missing = [
        f"{ENV_PREFIX}{name.upper()}"
        for name in Settings.model_fields
        if f"| `{ENV_PREFIX}{name.upper()}` |" not in readme
    ]
    assert missing == []


def test_every_adr_has_context_decision_consequences() -> None:
    adrs = sorted((REPO / "docs" / "adr").glob("*.md"))
    assert adrs
    for adr in adrs:
        text = adr.read_text()
        for heading in ("## Context", "## Decision", "## Consequences"):
            assert heading in text, f"{adr.name} lacks {heading}"


def test_committed_openapi_matches_the_code() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("export_openapi", REPO / "scripts" / "export_openapi.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = (REPO / "docs" / "openapi.json").read_text()
    assert committed == module.render(), "docs/openapi.json is stale: run `make docs`"


def test_every_permission_is_in_the_api_docs() -> None:
    from conveyor.api.permissions import Permission

    api_doc = (REPO / "docs" / "api.md").read_text()
    assert [p.value for p in Permission if f"`{p.value}`" not in api_doc] == []


def test_the_contracts_examples_are_what_the_models_accept() -> None:
    """The models' examples are what /api/docs shows and what `make mock-api` answers: each must
    read back through its model, as a real answer would."""
    from pydantic import BaseModel

    from conveyor.api.models.sessions import Session
    from conveyor.api.models.users import User
    from conveyor.engine.models import Job

    def examples(model: type[BaseModel]) -> list[dict[str, Any]]:
        schema = model.model_json_schema()
        found = list(schema.get("examples", []))
        if not found:  # field-level examples make one example of the whole
            found = [
                {
                    name: prop["examples"][0]
                    for name, prop in schema["properties"].items()
                    if "examples" in prop
                }
            ]
        return found

    for model in (User, Job):
        assert examples(model), f"{model.__name__} has no example"
        for example in examples(model):
            model.model_validate(example)
    Session.model_validate({**examples(Session)[0], "user": examples(User)[0]})
