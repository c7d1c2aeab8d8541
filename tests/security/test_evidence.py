"""The security docs' claims stay tied to artifacts that exist: every test id, path, make target
and command cited by docs/security/*.md and controls.yaml resolves, controls.md is what
controls.yaml generates, and the personal-data inventory covers the real schema."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest
from scripts.security import controls, evidence

from tests.support import REPO

SECURITY = REPO / "docs" / "security"
HAND_WRITTEN = sorted(p for p in SECURITY.glob("*.md") if p.name != "controls.md")


def test_every_evidence_reference_in_the_security_docs_resolves() -> None:
    cited = {(doc.name, ref) for doc in HAND_WRITTEN for ref in evidence.references_in(doc.read_text())}
    cited |= {("controls.yaml", ref) for c in controls.load()["controls"] for ref in controls.evidence(c)}
    broken = sorted(f"{where}: {why}" for where, ref in cited if (why := evidence.problem(ref)))
    assert broken == []
    # The threat model cites a test for every threat.
    threats = re.findall(r"^\| (T\d\d) \|.*\| ([^|]*) \|$", (SECURITY / "threat-model.md").read_text(), re.M)
    assert len(threats) >= 20
    assert [t for t, cell in threats if "::" not in cell and "make " not in cell] == []


def test_the_resolver_reports_what_no_longer_exists(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "mk").mkdir()
    (tmp_path / "Makefile").write_text("test: lint\nlint:\n\techo\n")
    (tmp_path / "mk" / "x.mk").write_text("VAR := 1\nx-checks: test\n")
    (tmp_path / "tests" / "test_a.py").write_text(
        "def test_here(): ...\nclass TestGroup:\n    async def test_inner(self): ...\n"
    )
    resolve = {
        ref: evidence.problem(ref, tmp_path)
        for ref in (
            "tests/test_a.py::test_here",
            "tests/test_a.py::test_here[param-1]",
            "tests/test_a.py::TestGroup::test_inner",
            "tests/test_a.py::test_renamed",
            "tests/test_a.py::test_inner",
            "tests/test_gone.py",
            "make x-checks",
            "make VAR",
            "make deleted-target",
        )
    }
    assert resolve == {
        "tests/test_a.py::test_here": None,
        "tests/test_a.py::test_here[param-1]": None,
        "tests/test_a.py::TestGroup::test_inner": None,
        "tests/test_a.py::test_renamed": "tests/test_a.py defines no test 'test_renamed'",
        "tests/test_a.py::test_inner": "tests/test_a.py defines no test 'test_inner'",
        "tests/test_gone.py": "tests/test_gone.py does not exist",
        "make x-checks": None,
        "make VAR": "no make target 'VAR'",
        "make deleted-target": "no make target 'deleted-target'",
    }
    assert evidence.problem("conveyor admin erase-user --yes") is None
    assert evidence.problem("conveyor admin shred-user") == "the CLI has no command 'admin shred-user'"


def test_references_are_read_from_prose_not_code_blocks() -> None:
    text = "See `tests/x.py::test_y` and `CONVEYOR_ENV`.\n```sh\nmake `src/never.py`\n```\n`make lint`\n"
    assert evidence.references_in(text) == ["tests/x.py::test_y", "make lint"]


def test_controls_markdown_is_generated_from_the_yaml() -> None:
    assert controls.main(["--check"]) == 0, "docs/security/controls.md is stale: run `make controls`"
    data = controls.load()
    frameworks = {c["framework"] for c in data["controls"]}
    assert frameworks == {"soc2", "iso27001", "pci", "hipaa", "gdpr"}


CONTROL = "  - {{framework: {0}, id: {1}, title: t, provides: p, artifacts: {2}, checks: [c]}}\n"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (CONTROL.format("sox", "X", "[a]"), "unknown framework 'sox'"),
        (CONTROL.format("gdpr", "Art. 17", "[a]"), "defined twice"),
        (CONTROL.format("gdpr", "Art. 99", "[]"), "missing or empty artifacts"),
    ],
)
def test_a_malformed_mapping_is_refused_naming_the_control(tmp_path: Path, change: str, message: str) -> None:
    broken = tmp_path / "controls.yaml"
    broken.write_text(controls.SOURCE.read_text() + change)
    with pytest.raises(controls.MappingError, match=re.escape(message)):
        controls.load(broken)


PERSONAL = re.compile(
    r"^(email|name|password_hash|ip|user_agent|user_id|created_by|last_sign_in_at|last_used_at|payload"
    r"|result|last_error|error|job|url|description|params|next_path)$"
)


def test_the_data_inventory_names_every_column_that_holds_personal_data(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        columns = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'conveyor'"
        ).fetchall()
    candidates = sorted(f"{t}.{c}" for t, c in columns if PERSONAL.match(c))
    inventory = (SECURITY / "data-protection.md").read_text()
    assert "users.email" in candidates and "audit_log.ip" in candidates
    assert [c for c in candidates if f"`{c}`" not in inventory] == []
