"""Repository hygiene read by the tools of the field: GitHub's CODEOWNERS rules by the
``codeowners`` matcher, whitespace by editorconfig-checker (`make hygiene`, mk/hygiene.mk).

The tools come from `make tools` (tools/hygiene), so a plain ``pytest`` leaves this suite out;
``make hygiene`` runs it with CONVEYOR_HYGIENE_TESTS=1. A missing tool fails it, never skips.
"""

from __future__ import annotations

from pathlib import Path

from tests.support import opt_in_collection

pytest_ignore_collect = opt_in_collection(Path(__file__).resolve().parent, "CONVEYOR_HYGIENE_TESTS")
