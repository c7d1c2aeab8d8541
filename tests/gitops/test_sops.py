"""SOPS with age (sops and age-keygen built from the Go module proxy, tools/sops): a secret kept
in git round-trips with the key, and cannot be read without it or with another key; the checker
refuses a SOPS file that does not decrypt, naming the file and the rule.

The age key is generated here, per test run, in a temporary directory: no private key is in the
repository."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.gitops.support import TOOLS_BIN, check
from tests.support import REPO

SECRET = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": "conveyor-webhook-signing"},
    "type": "Opaque",
    "stringData": {"key": "test-only-signing-key"},
}


def sops(*args: str, home: Path, key_file: Path | None = None) -> subprocess.CompletedProcess[str]:
    """sops with no key but the one given: a private HOME and no SOPS_* from the caller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOPS_")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    if key_file is not None:
        env["SOPS_AGE_KEY_FILE"] = str(key_file)
    return subprocess.run(
        [str(TOOLS_BIN / "sops"), *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def age_key(directory: Path) -> tuple[Path, str]:
    """A fresh age key pair: the private key's file and the public recipient."""
    directory.mkdir(parents=True)
    key_file = directory / "keys.txt"
    subprocess.run([str(TOOLS_BIN / "age-keygen"), "-o", str(key_file)], check=True, capture_output=True)
    public = next(
        line.split(": ", 1)[1]
        for line in key_file.read_text().splitlines()
        if line.startswith("# public key:")
    )
    return key_file, public


@pytest.fixture
def encrypted(tmp_path: Path) -> tuple[Path, Path]:
    """An encrypted Secret where Flux reads secrets (deploy/gitops/secrets/dev) in a copy of the
    repository's deploy/gitops, and the key that decrypts it."""
    key_file, recipient = age_key(tmp_path / "key")
    root = tmp_path / "repo"
    shutil.copytree(REPO / "deploy" / "gitops", root / "deploy" / "gitops")
    shutil.copytree(REPO / "deploy" / "kustomize", root / "deploy" / "kustomize")
    plain = tmp_path / "secret.yaml"
    plain.write_text(yaml.safe_dump(SECRET))
    target = root / "deploy/gitops/secrets/dev/webhook-signing.sops.yaml"
    # Only the values are encrypted: kind and name stay readable for review and for Flux.
    result = sops(
        "encrypt", "--age", recipient, "--encrypted-regex", "^(data|stringData)$",
        "--output", str(target), str(plain), home=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return root, key_file


def test_round_trip_with_the_key(encrypted: tuple[Path, Path], tmp_path: Path) -> None:
    root, key_file = encrypted
    path = root / "deploy/gitops/secrets/dev/webhook-signing.sops.yaml"
    stored = yaml.safe_load(path.read_text())
    assert "test-only-signing-key" not in path.read_text()
    assert stored["metadata"] == SECRET["metadata"]
    assert stored["stringData"]["key"].startswith("ENC[AES256_GCM,")
    assert stored["sops"]["age"][0]["recipient"].startswith("age1")
    result = sops("decrypt", str(path), home=tmp_path, key_file=key_file)
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout)["stringData"] == SECRET["stringData"]


def test_no_key_or_another_key_cannot_decrypt(encrypted: tuple[Path, Path], tmp_path: Path) -> None:
    root, _ = encrypted
    path = root / "deploy/gitops/secrets/dev/webhook-signing.sops.yaml"
    other_key, _ = age_key(tmp_path / "other")
    for key_file in (None, other_key):
        result = sops("decrypt", str(path), home=tmp_path, key_file=key_file)
        assert result.returncode != 0
        assert "test-only-signing-key" not in result.stdout
        assert "failed to get the data key" in result.stderr.lower() or "error" in result.stderr.lower()


def test_the_checker_refuses_an_undecryptable_sops_file(encrypted: tuple[Path, Path], tmp_path: Path) -> None:
    root, key_file = encrypted
    sops_binary = TOOLS_BIN / "sops"
    assert check.check(root, None, sops_binary, str(key_file)) == []
    other_key, _ = age_key(tmp_path / "other")
    findings = check.check(root, None, sops_binary, str(other_key))
    assert len(findings) == 1
    assert findings[0].startswith(
        "deploy/gitops/secrets/dev/webhook-signing.sops.yaml: rule sops-decryptable: sops cannot decrypt it"
    )
    # A tampered value fails the file's MAC: refused even with the right key.
    path = root / "deploy/gitops/secrets/dev/webhook-signing.sops.yaml"
    document = yaml.safe_load(path.read_text())
    document["stringData"]["key"] = document["stringData"]["key"].replace(
        "ENC[AES256_GCM,data:", "ENC[AES256_GCM,data:A"
    )
    path.write_text(yaml.safe_dump(document))
    assert "rule sops-decryptable" in check.check(root, None, sops_binary, str(key_file))[0]
