"""A throw-away certificate authority for TLS tests, made at test time with ``cryptography``.

::

    files = make_test_pki(tmp_path / "pki")      # ca.pem, server.pem, server.key
    # server.pem is valid for 127.0.0.1, ::1 and localhost, for one day

    ca, ca_key = new_ca("sprmon test CA")         # the parts, for other layouts
    client, client_key = new_leaf("prometheus", ca, ca_key, server=False)
    write_cert(folder / "client.crt", client)
    write_key(folder / "client.key", client_key)

EC P-256 keys: quick to generate, and accepted by OpenSSL's default security level.
"""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.peers.mosquitto import TlsFiles

Key = ec.EllipticCurvePrivateKey


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sprmon tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _builder(common_name: str, issuer: x509.Name, key: Key) -> x509.CertificateBuilder:
    """Valid from five minutes ago (clocks differ) for one day."""
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
    )


def new_ca(common_name: str) -> tuple[x509.Certificate, Key]:
    """A self-signed CA that may sign end-entity certificates only."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        _builder(common_name, _name(common_name), key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def new_leaf(
    common_name: str, ca: x509.Certificate, ca_key: Key, *, server: bool
) -> tuple[x509.Certificate, Key]:
    """A certificate ``ca`` signed: a server's (for localhost, 127.0.0.1 and ::1) or a
    client's."""
    key = ec.generate_private_key(ec.SECP256R1())
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (
        _builder(common_name, ca.subject, key)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
    return builder.sign(ca_key, hashes.SHA256()), key


def write_cert(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def write_key(path: Path, key: Key, password: bytes | None = None) -> None:
    """PKCS #8 PEM, encrypted with ``password`` if one is given."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.NoEncryption()
        if password is None
        else serialization.BestAvailableEncryption(password)
    )
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    )


def make_test_pki(folder: Path, *, ca_name: str = "sprmon test CA") -> TlsFiles:
    """A CA and a server certificate it signed, written as PEM files in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    ca, ca_key = new_ca(ca_name)
    server, server_key = new_leaf("localhost", ca, ca_key, server=True)
    files = TlsFiles(
        ca_cert=folder / "ca.pem", cert=folder / "server.pem", key=folder / "server.key"
    )
    write_cert(files.ca_cert, ca)
    write_cert(files.cert, server)
    write_key(files.key, server_key)
    return files
