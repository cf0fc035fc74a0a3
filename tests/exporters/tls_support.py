"""A throw-away certificate authority made at test time with ``cryptography``.

``make_pki(folder)`` writes a CA, a server certificate for 127.0.0.1 and
localhost, and a client certificate, all PEM (made by :mod:`tests.peers.pki`),
and returns their paths; nothing outlives the test's temp folder.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

from tests.peers.pki import new_ca, new_leaf, write_cert, write_key


@dataclass(frozen=True)
class Pki:
    ca_cert: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    #: A second CA that signed nothing of ours: a client trusting only it must fail.
    other_ca_cert: Path

    def client_context(self, *, with_client_cert: bool = False) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.ca_cert))
        if with_client_cert:
            context.load_cert_chain(self.client_cert, self.client_key)
        return context


def make_pki(folder: Path) -> Pki:
    folder.mkdir(parents=True, exist_ok=True)
    ca, ca_key = new_ca("sprmon test CA")
    other_ca, _ = new_ca("some other CA")
    server, server_key = new_leaf("127.0.0.1", ca, ca_key, server=True)
    client, client_key = new_leaf("prometheus", ca, ca_key, server=False)
    pki = Pki(
        ca_cert=folder / "ca.crt",
        server_cert=folder / "server.crt",
        server_key=folder / "server.key",
        client_cert=folder / "client.crt",
        client_key=folder / "client.key",
        other_ca_cert=folder / "other-ca.crt",
    )
    write_cert(pki.ca_cert, ca)
    write_cert(pki.other_ca_cert, other_ca)
    write_cert(pki.server_cert, server)
    write_key(pki.server_key, server_key)
    write_cert(pki.client_cert, client)
    write_key(pki.client_key, client_key)
    return pki


def write_encrypted_key(path: Path, password: bytes) -> None:
    """A private key protected by a passphrase (which sprmon must refuse, not prompt for)."""
    write_key(path, ec.generate_private_key(ec.SECP256R1()), password)
