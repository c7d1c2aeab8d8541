"""The drills' files are read by their tools, and the generated tables are current:
- every chaos experiment passes the Chaos Toolkit's validation and names only our functions;
- the object-storage repository's configuration is accepted by pgBackRest option by option
  (it fails only at the network: nothing here reaches a bucket);
- docs/dr/README.md, docs/chaos.md and docs/benchmarks.md carry exactly the tables their
  records generate."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import chaos.conveyor_chaos
import chaos.run
import load.run
import pytest
from chaoslib.experiment import ensure_experiment_is_valid
from chaoslib.loader import load_experiment
from scripts.dr import drill
from scripts.dr.postgres import as_server_user

from tests.support import REPO

EXPERIMENTS = sorted((REPO / "chaos" / "experiments").glob("*.json"))


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_experiment_is_valid_and_uses_our_probes(path: Path) -> None:
    experiment = load_experiment(str(path))
    ensure_experiment_is_valid(experiment)
    activities = [
        *experiment["steady-state-hypothesis"]["probes"],
        *experiment["method"],
        *experiment.get("rollbacks", []),
    ]
    for activity in activities:
        provider = activity["provider"]
        assert provider["module"] == "chaos.conveyor_chaos"
        assert callable(getattr(chaos.conveyor_chaos, provider["func"], None)), provider["func"]
    assert chaos.run.extension(experiment)["environment"]


def pgbackrest_object_storage(*extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        # Placeholders: production takes them from its secret store / the instance role.
        "PGBACKREST_REPO2_S3_KEY": "placeholder",
        "PGBACKREST_REPO2_S3_KEY_SECRET": "placeholder",
        "PGBACKREST_REPO2_CIPHER_PASS": "placeholder",
    }
    return subprocess.run(
        as_server_user(
            [
                "pgbackrest",
                f"--config={REPO / 'scripts' / 'dr' / 'pgbackrest.object-storage.conf'}",
                "--stanza=conveyor",
                "--repo=2",
                # Loopback instead of the bucket: a closed port, no name to resolve.
                "--repo2-s3-key-type=shared",
                "--repo2-s3-uri-style=path",
                "--repo2-s3-endpoint=127.0.0.1",
                "--repo2-storage-port=9",
                "--io-timeout=2",
                *extra,
                "repo-ls",
            ]
        ),
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd="/",
        check=False,
    )


def test_object_storage_repository_config_is_accepted_by_pgbackrest() -> None:
    result = pgbackrest_object_storage()
    # [049] HostConnectError: every option was accepted, only the (loopback) endpoint refused.
    assert result.returncode == 49, result.stderr
    assert "unable to connect to '127.0.0.1:9'" in result.stderr


def test_a_wrong_option_would_be_refused_first() -> None:
    result = pgbackrest_object_storage("--repo2-s3-bukket=typo")
    assert result.returncode == 31, result.stderr  # OptionInvalidError
    assert "invalid option '--repo2-s3-bukket=typo'" in result.stderr


def test_dr_readme_table_is_generated_from_the_drill_records() -> None:
    assert drill.readme_table() in drill.README.read_text()
    for record in drill.RECORDS.glob("*.json"):
        scenarios = {s["scenario"] for s in json.loads(record.read_text())["scenarios"]}
        assert {"primary-lost/restore", "operator-error/pitr"} <= scenarios


def test_chaos_doc_table_is_generated_from_the_results() -> None:
    text = chaos.run.DOC.read_text()
    section = text.split(chaos.run.START, 1)[1].split(chaos.run.END, 1)[0]
    for record in chaos.run.RESULTS.glob("*.json"):
        assert chaos.run.table(json.loads(record.read_text())["results"]) in section


def test_benchmarks_load_section_is_generated_from_the_results() -> None:
    text = load.run.DOC.read_text()
    for record in load.run.RESULTS.glob("*.json"):
        assert load.run.table(json.loads(record.read_text())["results"]) in text
