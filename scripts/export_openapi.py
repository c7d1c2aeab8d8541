"""Write the API contract to docs/openapi.json (run by `make docs`; a test keeps it current)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from conveyor.api.app import create_app
from conveyor.settings import load_settings

TARGET = Path(__file__).resolve().parents[1] / "docs" / "openapi.json"


def contract() -> dict[str, Any]:
    spec: dict[str, Any] = create_app(load_settings(env="test"), "postgresql://unused").openapi()
    return spec


def render() -> str:
    return json.dumps(contract(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    TARGET.write_text(render())
    print(
        f"wrote {TARGET.relative_to(Path.cwd()) if TARGET.is_relative_to(Path.cwd()) else TARGET}",
        file=sys.stderr,
    )
