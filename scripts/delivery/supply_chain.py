"""The supply chain, for real and offline: the image `make image` built is pushed to a CNCF
distribution registry on loopback, signed with cosign, and given an SPDX SBOM (syft) and an
SLSA v1 provenance statement as signed attestations; `verify` checks all three with cosign and
then reads what the attestations say.

    python scripts/delivery/supply_chain.py [--state DIR] [--image IMAGE] sign
    python scripts/delivery/supply_chain.py [--state DIR] verify

The registry runs only while a command runs (its storage stays in the state directory,
.cache/delivery/supply-chain by default), on a free loopback port. The key pair is generated
on first use into the state directory, encrypted with a random password kept beside it (0600):
a throwaway key for this loopback registry, never for a real one. On GitHub the same steps are
keyless (image.yml). Keys and password can be given instead: COSIGN_KEY, COSIGN_PUBLIC_KEY,
COSIGN_PASSWORD.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
GO_TOOLS = REPO_ROOT / ".cache/tools/bin"
PY_TOOLS = REPO_ROOT / ".cache/delivery/venv/bin"
PODMAN = ["bash", str(REPO_ROOT / "scripts/image/podman.sh")]
DEFAULT_STATE = REPO_ROOT / ".cache/delivery/supply-chain"
DEFAULT_IMAGE = os.environ.get("CONVEYOR_IMAGE", "localhost/conveyor:dev")
REPOSITORY = "conveyor"
PROVENANCE_TYPE = "https://slsa.dev/provenance/v1"
SPDX_TYPE = "https://spdx.dev/Document"
BUILD_TYPE = "urn:conveyor:buildtype:make-image:v1"
REGISTRY_START_TIMEOUT = 30.0


class SupplyChainError(RuntimeError):
    """A step failed; the message carries the tool's own words."""


def run(argv: Sequence[str | Path], *, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    """Run a tool; on failure raise with its stderr (cosign's message is the diagnosis)."""
    result = subprocess.run(
        [str(a) for a in argv],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        check=False,
    )
    if result.returncode != 0:
        name = Path(str(argv[0])).name
        raise SupplyChainError(
            f"{name} failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}"
        )
    return result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LocalRegistry:
    """CNCF distribution (`registry serve`) on 127.0.0.1, storage on disk."""

    storage: Path
    port: int = 0

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @contextmanager
    def running(self) -> Iterator[LocalRegistry]:
        binary = GO_TOOLS / "registry"
        if not binary.exists():
            raise SupplyChainError(f"{binary} is missing: run `make tools`")
        self.storage.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        config = self.storage.parent / "registry.yml"
        config.write_text(
            "version: 0.1\n"
            "log: {level: warn}\n"
            f"storage: {{filesystem: {{rootdirectory: {self.storage}}}, delete: {{enabled: true}}}}\n"
            f"http: {{addr: {self.host}}}\n"
        )
        log = (self.storage.parent / "registry.log").open("wb")
        process = subprocess.Popen([binary, "serve", config], stdout=log, stderr=subprocess.STDOUT)
        try:
            self._wait_ready(process)
            yield self
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()

    def _wait_ready(self, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + REGISTRY_START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                tail = (self.storage.parent / "registry.log").read_text(errors="replace")[-2000:]
                raise SupplyChainError(f"registry exited with {process.returncode}: {tail}")
            try:
                with urllib.request.urlopen(f"http://{self.host}/v2/", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)  # polling a server that is starting: the deadline bounds it
        raise SupplyChainError(f"registry on {self.host} not ready within {REGISTRY_START_TIMEOUT} s")


@dataclass(frozen=True)
class KeyPair:
    private: Path
    public: Path
    password: str

    @classmethod
    def generate(cls, directory: Path) -> KeyPair:
        directory.mkdir(parents=True, exist_ok=True)
        password = secrets.token_urlsafe(24)
        (directory / "cosign.key").unlink(missing_ok=True)
        (directory / "cosign.pub").unlink(missing_ok=True)
        run([GO_TOOLS / "cosign", "generate-key-pair"], env={"COSIGN_PASSWORD": password}, cwd=directory)
        password_file = directory / "password"
        password_file.write_text(password)
        password_file.chmod(0o600)
        return cls(directory / "cosign.key", directory / "cosign.pub", password)

    @classmethod
    def for_state(cls, directory: Path) -> KeyPair:
        """COSIGN_KEY/COSIGN_PUBLIC_KEY/COSIGN_PASSWORD when given, else the state's own pair."""
        if os.environ.get("COSIGN_KEY"):
            return cls(
                Path(os.environ["COSIGN_KEY"]),
                Path(os.environ.get("COSIGN_PUBLIC_KEY", "")),
                os.environ.get("COSIGN_PASSWORD", ""),
            )
        if not (directory / "cosign.key").exists():
            return cls.generate(directory)
        return cls(directory / "cosign.key", directory / "cosign.pub", (directory / "password").read_text())


# Key-based verification trusts the given public key only. An empty Sigstore trusted root
# (no Fulcio CA, no Rekor log) keeps cosign from fetching the public-good one over TUF.
EMPTY_TRUSTED_ROOT = '{"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1"}\n'


class Cosign:
    """cosign with a key pair against an http registry on loopback; no Rekor, no network."""

    def __init__(self, keys: KeyPair, state: Path) -> None:
        self.keys = keys
        self.binary = GO_TOOLS / "cosign"
        self.trusted_root = state / "trusted_root.json"
        state.mkdir(parents=True, exist_ok=True)
        self.trusted_root.write_text(EMPTY_TRUSTED_ROOT)

    def _run(self, *args: str | Path) -> str:
        return run(
            [self.binary, *args],
            env={"COSIGN_PASSWORD": self.keys.password, "COSIGN_YES": "true"},
        )

    def sign(self, ref: str) -> None:
        self._run("sign", "--key", self.keys.private, "--tlog-upload=false", "--allow-http-registry", ref)

    def attest(self, ref: str, predicate: Path, kind: str) -> None:
        self._run(
            "attest", "--key", self.keys.private, "--tlog-upload=false", "--allow-http-registry",
            "--type", kind, "--predicate", predicate, ref,
        )  # fmt: skip

    def _trust(self, public_key: Path | None) -> list[str | Path]:
        """Flags that make a verification trust ``public_key`` (default: ours) and nothing else."""
        return [
            "--key", public_key or self.keys.public, "--insecure-ignore-tlog=true", "--offline=true",
            "--trusted-root", self.trusted_root, "--allow-http-registry",
        ]  # fmt: skip

    def verify(self, ref: str, public_key: Path | None = None) -> list[dict[str, Any]]:
        """The verified signature payloads (simple signing JSON); raises when none verifies."""
        output = self._run("verify", *self._trust(public_key), "--output", "json", ref)
        payloads: list[dict[str, Any]] = json.loads(output)
        return payloads

    def verify_attestation(self, ref: str, kind: str, public_key: Path | None = None) -> list[dict[str, Any]]:
        """The in-toto statements of the verified attestations of ``kind``; raises when none."""
        output = self._run("verify-attestation", *self._trust(public_key), "--type", kind, ref)
        statements = []
        for line in output.splitlines():
            if line.strip():
                envelope = json.loads(line)
                statements.append(json.loads(base64.b64decode(envelope["payload"])))
        return statements


def image_labels(image: str) -> dict[str, str]:
    output = run([*PODMAN, "image", "inspect", "--format", "{{json .Labels}}", image])
    labels: dict[str, str] = json.loads(output) or {}
    return labels


def push(image: str, registry: LocalRegistry, tag: str, workdir: Path) -> str:
    """Push ``image`` from the project's container storage; returns the manifest digest."""
    digest_file = workdir / "digest"
    run(
        [*PODMAN, "push", "--tls-verify=false", "--digestfile", digest_file, image,
         f"{registry.host}/{REPOSITORY}:{tag}"],
    )  # fmt: skip
    return digest_file.read_text().strip()


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def provenance(digest: str, labels: dict[str, str], started: datetime, finished: datetime) -> dict[str, Any]:
    """An SLSA v1 provenance predicate for the image `make image` built from this tree."""
    revision = labels.get("org.opencontainers.image.revision", "unknown")
    source = labels.get("org.opencontainers.image.source", "unknown")
    return {
        "buildDefinition": {
            "buildType": BUILD_TYPE,
            "externalParameters": {
                "source": {"uri": source, "revision": revision},
                "dockerfile": "deploy/docker/Dockerfile",
                "baseImage": labels.get("org.opencontainers.image.base.name", "unknown"),
                "version": labels.get("org.opencontainers.image.version", "unknown"),
            },
            "internalParameters": {"builder": "buildah (scripts/image/build.sh)"},
            "resolvedDependencies": [
                {"uri": f"git+{source}", "digest": {"gitCommit": revision}},
                {"uri": "uv.lock", "digest": {"sha256": sha256_file(REPO_ROOT / "uv.lock")}},
                {
                    "uri": "deploy/docker/Dockerfile",
                    "digest": {"sha256": sha256_file(REPO_ROOT / "deploy/docker/Dockerfile")},
                },
            ],
        },
        "runDetails": {
            "builder": {"id": f"urn:conveyor:builder:make-image:{socket.gethostname()}"},
            "metadata": {
                "invocationId": str(uuid.uuid4()),
                "startedOn": started.isoformat(timespec="seconds"),
                "finishedOn": finished.isoformat(timespec="seconds"),
            },
            "byproducts": [{"name": "image", "digest": {"sha256": digest.removeprefix("sha256:")}}],
        },
    }


def sbom(ref: str, output: Path) -> None:
    """SPDX JSON SBOM of the pushed image (OS packages and the Python environment), by syft."""
    run(
        [PY_TOOLS / "syft", "scan", f"registry:{ref}", "-o", f"spdx-json={output}", "-q"],
        env={"SYFT_REGISTRY_INSECURE_USE_HTTP": "true", "SYFT_CHECK_FOR_APP_UPDATE": "false"},
    )


@dataclass(frozen=True)
class Published:
    digest: str
    revision: str

    def ref(self, registry: LocalRegistry) -> str:
        return f"{registry.host}/{REPOSITORY}@{self.digest}"

    @classmethod
    def load(cls, state: Path) -> Published:
        path = state / "published.json"
        if not path.exists():
            raise SupplyChainError(f"{path} is missing: run `make sign` first")
        data = json.loads(path.read_text())
        return cls(data["digest"], data["revision"])

    def save(self, state: Path) -> None:
        (state / "published.json").write_text(
            json.dumps({"digest": self.digest, "revision": self.revision}) + "\n"
        )


def ensure_image(image: str) -> None:
    exists = subprocess.run([*PODMAN, "image", "exists", image], capture_output=True, check=False)
    if exists.returncode != 0:
        print(f"supply-chain: {image} not built yet: make image", file=sys.stderr)
        run(["bash", REPO_ROOT / "scripts/image/build.sh"], env={"CONVEYOR_IMAGE": image})


def sign(state: Path, image: str) -> Published:
    ensure_image(image)
    state.mkdir(parents=True, exist_ok=True)
    labels = image_labels(image)
    revision = labels.get("org.opencontainers.image.revision", "unknown")
    cosign = Cosign(KeyPair.for_state(state / "keys"), state)
    started = datetime.now(UTC)
    with LocalRegistry(state / "registry").running() as registry:
        digest = push(image, registry, revision[:12] or "dev", state)
        published = Published(digest, revision)
        ref = published.ref(registry)
        cosign.sign(ref)
        sbom_file = state / "sbom.spdx.json"
        sbom(ref, sbom_file)
        cosign.attest(ref, sbom_file, "spdxjson")
        provenance_file = state / "provenance.json"
        provenance_file.write_text(
            json.dumps(provenance(digest, labels, started, datetime.now(UTC)), indent=2)
        )
        cosign.attest(ref, provenance_file, "slsaprovenance1")
    published.save(state)
    print(
        f"supply-chain: signed {REPOSITORY}@{digest} (revision {revision}); SBOM and SLSA provenance attached"
    )
    return published


def check_statements(
    published: Published, provenance_statements: list[dict[str, Any]], sboms: list[dict[str, Any]]
) -> None:
    """What the verified attestations say must match the image: subject digest, revision, packages."""
    want = published.digest.removeprefix("sha256:")
    for statement in [*provenance_statements, *sboms]:
        subjects = {s["digest"]["sha256"] for s in statement["subject"]}
        if want not in subjects:
            raise SupplyChainError(
                f"attestation subject {sorted(subjects)} is not the image {published.digest}"
            )
    commits = {
        dep["digest"].get("gitCommit")
        for statement in provenance_statements
        if statement["predicateType"] == PROVENANCE_TYPE
        for dep in statement["predicate"]["buildDefinition"]["resolvedDependencies"]
    }
    if published.revision not in commits:
        raise SupplyChainError(
            f"provenance names commits {sorted(c for c in commits if c)}, not {published.revision}"
        )
    packages = [p for statement in sboms for p in statement["predicate"].get("packages", [])]
    if not packages:
        raise SupplyChainError("the SBOM attestation lists no package")


def verify(state: Path, published: Published | None = None) -> None:
    published = published or Published.load(state)
    cosign = Cosign(KeyPair.for_state(state / "keys"), state)
    with LocalRegistry(state / "registry").running() as registry:
        ref = published.ref(registry)
        signatures = cosign.verify(ref)
        signed = {s["critical"]["image"]["docker-manifest-digest"] for s in signatures}
        if published.digest not in signed:
            raise SupplyChainError(f"signatures cover {sorted(signed)}, not {published.digest}")
        provenance_statements = cosign.verify_attestation(ref, "slsaprovenance1")
        sboms = cosign.verify_attestation(ref, "spdxjson")
        check_statements(published, provenance_statements, sboms)
    print(
        f"supply-chain: verified {REPOSITORY}@{published.digest}: signature, SLSA v1 provenance "
        f"(revision {published.revision}), SPDX SBOM"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--state", type=Path, default=DEFAULT_STATE)
    parser.add_argument("--image", default=DEFAULT_IMAGE)
    parser.add_argument("command", choices=["sign", "verify"])
    args = parser.parse_args(argv)
    try:
        if args.command == "sign":
            sign(args.state, args.image)
        else:
            verify(args.state)
    except SupplyChainError as exc:
        print(f"supply-chain: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
