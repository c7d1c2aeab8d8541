"""The supply chain for real: `make image`'s image pushed to a CNCF distribution registry on
loopback, signed with cosign, its SPDX SBOM and SLSA v1 provenance attached as signed
attestations; verification passes for that digest and fails, with cosign's own message, for an
altered image, a copied or tampered attestation and another key."""

from __future__ import annotations

import base64
import json
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import supply_chain
from supply_chain import Cosign, KeyPair, LocalRegistry, Published, SupplyChainError

from tests.delivery.conftest import GO_TOOLS, PY_TOOLS, REPO_ROOT, run, tool

IMAGE = supply_chain.DEFAULT_IMAGE


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`make sign` into a state directory of its own; returns that directory."""
    for name in ("cosign", "registry"):
        tool(GO_TOOLS / name)
    tool(PY_TOOLS / "syft")
    state = tmp_path_factory.mktemp("supply-chain")
    result = run(REPO_ROOT / ".venv/bin/python", "scripts/delivery/supply_chain.py", "--state", state, "sign")
    assert result.returncode == 0, result.stdout + result.stderr
    return state


@dataclass
class Live:
    registry: LocalRegistry
    cosign: Cosign
    published: Published

    @property
    def ref(self) -> str:
        return self.published.ref(self.registry)


@pytest.fixture(scope="module")
def live(signed: Path) -> Iterator[Live]:
    """The registry `make sign` pushed to, serving again from its storage."""
    with LocalRegistry(signed / "registry").running() as registry:
        yield Live(registry, Cosign(KeyPair.for_state(signed / "keys"), signed), Published.load(signed))


@pytest.fixture
def altered(live: Live, tmp_path: Path) -> Iterator[str]:
    """The signed image with one label changed, pushed: same layers, another digest."""
    tag = f"localhost/conveyor:altered-{uuid.uuid4().hex[:8]}"
    container = f"alter-{uuid.uuid4().hex[:8]}"
    podman = supply_chain.PODMAN
    subprocess.run([*podman, "create", "--name", container, IMAGE], check=True, capture_output=True)
    try:
        subprocess.run(
            [*podman, "commit", "--change", f"LABEL altered={tag}", container, tag],
            check=True,
            capture_output=True,
        )
    finally:
        subprocess.run([*podman, "rm", container], check=False, capture_output=True)
    try:
        digest = supply_chain.push(tag, live.registry, "altered", tmp_path)
        assert digest != live.published.digest
        yield f"{live.registry.host}/{supply_chain.REPOSITORY}@{digest}"
    finally:
        subprocess.run([*podman, "rmi", tag], check=False, capture_output=True)


def test_make_verify_passes_for_the_signed_digest(signed: Path) -> None:
    result = run(
        REPO_ROOT / ".venv/bin/python", "scripts/delivery/supply_chain.py", "--state", signed, "verify"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    published = Published.load(signed)
    assert f"verified conveyor@{published.digest}" in result.stdout
    labels = supply_chain.image_labels(IMAGE)
    assert published.revision == labels["org.opencontainers.image.revision"]


def test_the_signature_covers_exactly_the_pushed_digest(live: Live) -> None:
    [payload] = live.cosign.verify(live.ref)
    assert payload["critical"]["image"]["docker-manifest-digest"] == live.published.digest


def test_the_attestations_say_what_was_built(live: Live) -> None:
    [provenance] = live.cosign.verify_attestation(live.ref, "slsaprovenance1")
    assert provenance["predicateType"] == "https://slsa.dev/provenance/v1"
    assert provenance["subject"][0]["digest"]["sha256"] == live.published.digest.removeprefix("sha256:")
    build = provenance["predicate"]["buildDefinition"]
    assert build["buildType"] == supply_chain.BUILD_TYPE
    assert {"gitCommit": live.published.revision} in [dep["digest"] for dep in build["resolvedDependencies"]]

    [sbom] = live.cosign.verify_attestation(live.ref, "spdxjson")
    assert sbom["predicateType"] == "https://spdx.dev/Document"
    names = {package["name"] for package in sbom["predicate"]["packages"]}
    assert {"psycopg", "fastapi", "python3.11", "tini"} <= names  # the Python environment and Debian's


def test_an_altered_image_has_no_signature_and_no_attestation(live: Live, altered: str) -> None:
    with pytest.raises(SupplyChainError, match="no signatures found"):
        live.cosign.verify(altered)
    with pytest.raises(SupplyChainError, match="no matching attestations"):
        live.cosign.verify_attestation(altered, "slsaprovenance1")


def _provenance_envelope(live: Live) -> dict[str, str]:
    output = supply_chain.run(
        [GO_TOOLS / "cosign", "download", "attestation", "--allow-http-registry",
         "--predicate-type", supply_chain.PROVENANCE_TYPE, live.ref]
    )  # fmt: skip
    envelope: dict[str, str] = json.loads(output.splitlines()[0])
    return envelope


def _attach(envelope: dict[str, str], ref: str, tmp_path: Path) -> None:
    path = tmp_path / f"attestation-{uuid.uuid4().hex[:8]}.json"
    path.write_text(json.dumps(envelope))
    supply_chain.run(
        [GO_TOOLS / "cosign", "attach", "attestation", "--allow-http-registry", "--attestation", path, ref]
    )


def test_a_genuine_attestation_copied_onto_another_image_fails(
    live: Live, altered: str, tmp_path: Path
) -> None:
    _attach(_provenance_envelope(live), altered, tmp_path)
    with pytest.raises(SupplyChainError, match="no matching subject digest found"):
        live.cosign.verify_attestation(altered, "slsaprovenance1")


def test_a_tampered_attestation_fails(live: Live, altered: str, tmp_path: Path) -> None:
    envelope = _provenance_envelope(live)
    statement = json.loads(base64.b64decode(envelope["payload"]))
    statement["subject"][0]["digest"]["sha256"] = altered.split("@sha256:")[1]  # claim the altered image
    statement["predicate"]["buildDefinition"]["resolvedDependencies"][0]["digest"]["gitCommit"] = "0" * 40
    envelope["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()  # the signature is kept
    _attach(envelope, altered, tmp_path)
    with pytest.raises(SupplyChainError, match="accepted signatures do not match threshold"):
        live.cosign.verify_attestation(altered, "slsaprovenance1")


def test_another_key_does_not_verify(live: Live, tmp_path: Path) -> None:
    stranger = KeyPair.generate(tmp_path / "stranger")
    with pytest.raises(SupplyChainError, match=r"invalid signature when validating ASN\.1 encoded signature"):
        live.cosign.verify(live.ref, stranger.public)
    with pytest.raises(SupplyChainError, match="no matching attestations"):
        live.cosign.verify_attestation(live.ref, "spdxjson", stranger.public)


def test_statements_that_do_not_match_the_image_are_refused(live: Live) -> None:
    [provenance] = live.cosign.verify_attestation(live.ref, "slsaprovenance1")
    [sbom] = live.cosign.verify_attestation(live.ref, "spdxjson")
    other_build = Published(live.published.digest, "f" * 40)
    with pytest.raises(SupplyChainError, match=f"not {'f' * 40}"):
        supply_chain.check_statements(other_build, [provenance], [sbom])
    other_image = Published("sha256:" + "e" * 64, live.published.revision)
    with pytest.raises(SupplyChainError, match="is not the image sha256:e"):
        supply_chain.check_statements(other_image, [provenance], [sbom])


def test_verify_before_sign_says_what_to_do(tmp_path: Path) -> None:
    result = run(
        REPO_ROOT / ".venv/bin/python", "scripts/delivery/supply_chain.py", "--state", tmp_path, "verify"
    )
    assert result.returncode == 1
    assert "published.json is missing: run `make sign` first" in result.stderr
