"""HTTPS for ``conveyor up --https``: a local certificate authority kept in ``.conveyor/tls/``
(so a browser told to trust it once keeps trusting it) and a server certificate it issues at
each start for the loopback names. Made with trustme (ADR 0023): development only, never for a
deployment, where the operator's certificate comes in through CONVEYOR_TLS_CERT_FILE.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class LocalTls:
    ca_file: Path
    cert_file: Path
    key_file: Path


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    path.chmod(0o600)


def ensure_local_tls(home: Path, hosts: tuple[str, ...] = ()) -> LocalTls:
    """The local CA (made once) and a fresh server certificate for the loopback names and
    ``hosts``; private keys are written 0600."""
    try:
        import trustme
    except ImportError:  # the image installs no development dependencies
        raise RuntimeError("--https needs the development dependencies (`uv sync`)") from None
    folder = home / "tls"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    ca_file, ca_key = folder / "ca.pem", folder / "ca.key"
    if ca_file.exists() and ca_key.exists():
        ca = trustme.CA.from_pem(ca_file.read_bytes(), ca_key.read_bytes())
    else:
        ca = trustme.CA(organization_name="Conveyor local development CA")
        _write_private(ca_key, ca.private_key_pem.bytes())
        ca_file.write_bytes(ca.cert_pem.bytes())
    names = tuple(dict.fromkeys((*LOOPBACK_NAMES, *(h for h in hosts if h))))
    leaf = ca.issue_cert(*names)
    cert_file, key_file = folder / "server.pem", folder / "server.key"
    cert_file.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    _write_private(key_file, leaf.private_key_pem.bytes())
    return LocalTls(ca_file=ca_file, cert_file=cert_file, key_file=key_file)
