"""Helpers for the lab's gNMI tests: pygnmi as the client, OpenConfig bindings as the judge.

Everything that checks the lab's gNMI output here is code we did not write:
pygnmi's ``gNMIclient`` reads it, and the pyangbind classes of ``ocbindings``
(generated from the OpenConfig YANG models) load and re-serialise its JSON.
"""

from __future__ import annotations

import datetime
import importlib.util
import ipaddress
import json
import re
import socket
import sys
import types
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pygnmi.client import gNMIclient

from sprmon.lab import Lab

#: A path pygnmi prints: elements split on "/" outside brackets, keys in brackets.
_ELEMENT = re.compile(r"([^/\[\]]+)((?:\[[^\]=]+=[^\]]*\])*)")
_KEY = re.compile(r"\[([^\]=]+)=([^\]]*)\]")

BGP = (
    "network-instances/network-instance[name=default]/protocols/"
    "protocol[identifier=BGP][name=BGP]/bgp"
)


def connect(lab: Lab, site: str, **options: Any) -> Any:
    """pygnmi's client, connected to ``site`` with the lab's credentials (blocking)."""
    credentials = lab.gnmi_credentials
    assert credentials is not None
    settings: dict[str, Any] = {
        "insecure": True,
        "username": credentials.username,
        "password": credentials.password,
        "gnmi_timeout": 5,
    }
    settings.update(options)
    return gNMIclient(target=(lab.host, lab.gnmi_ports[site]), **settings).connect()


def parse_path(text: str | None) -> list[tuple[str, dict[str, str]]]:
    """``a/b[k=v]/c`` (as pygnmi prints a path) -> [(name, keys), ...]."""
    if not text:
        return []
    result = []
    position = 0
    while position < len(text):
        if text[position] == "/":
            position += 1
            continue
        match = _ELEMENT.match(text, position)
        assert match is not None, f"cannot parse {text!r} at {position}"
        result.append((match.group(1), dict(_KEY.findall(match.group(2)))))
        position = match.end()
    return result


# -- the OpenConfig models -----------------------------------------------------------------


@cache
def bindings() -> dict[str, Any]:
    """Top-level JSON_IETF member -> the ocbindings class of that container.

    Only the three subpackages the lab serves are imported: ``import ocbindings``
    would import every OpenConfig model (about twice as long, 150 MB).
    """
    if "ocbindings" not in sys.modules:
        spec = importlib.util.find_spec("ocbindings")
        assert spec is not None and spec.submodule_search_locations is not None
        package = types.ModuleType("ocbindings")
        package.__path__ = list(spec.submodule_search_locations)
        sys.modules["ocbindings"] = package
    from ocbindings.interfaces import interfaces  # noqa: PLC0415
    from ocbindings.network_instances import network_instances  # noqa: PLC0415
    from ocbindings.system import system  # noqa: PLC0415

    return {
        "openconfig-interfaces:interfaces": interfaces,
        "openconfig-network-instance:network-instances": network_instances,
        "openconfig-system:system": system,
    }


def validate(document: dict[str, Any]) -> None:
    """Load a JSON_IETF document into the OpenConfig bindings and check it round-trips.

    pyangbind refuses an unknown name, a value of the wrong type, a bad enum or
    identity, a malformed address or prefix; its own RFC 7951 encoder must then
    give back exactly ``document`` (so a counter sent as a number instead of a
    string, or a member name not qualified where its module changes, fails),
    except for two things where pyangbind is laxer than RFC 7951 and both
    forms are valid: it writes an identity without its module when the module
    is the leaf's own, and a leafref (a list's key leaf) always as a string.
    """
    from pyangbind.lib import pybindJSON  # noqa: PLC0415
    from pyangbind.lib.serialise import pybindJSONDecoder  # noqa: PLC0415

    classes = bindings()
    for member, value in document.items():
        assert member in classes, f"unknown or unqualified top-level member {member!r}"
        obj = classes[member]()
        pybindJSONDecoder.load_ietf_json(value, None, None, obj=obj)
        # The container's children come back qualified, as top-level members would be.
        module = member.partition(":")[0]
        again = json.loads(pybindJSON.dumps(obj, mode="ietf"))
        _same(value, {k.removeprefix(f"{module}:"): v for k, v in again.items()}, obj, member)


def _same(ours: Any, theirs: Any, obj: Any, where: str) -> None:
    if isinstance(ours, dict):
        assert isinstance(theirs, dict), f"{where}: {theirs!r}"
        assert set(ours) == set(theirs), f"{where}: {sorted(ours)} != {sorted(theirs)}"
        for key, value in ours.items():
            child = getattr(obj, _safe(key.rpartition(":")[2]))
            _same(value, theirs[key], child, f"{where}/{key}")
    elif isinstance(ours, list) and ours and isinstance(ours[0], dict):
        assert isinstance(theirs, list) and len(ours) == len(theirs), where
        for mine, other, entry in zip(ours, theirs, obj.values(), strict=True):
            _same(mine, other, entry, f"{where}[]")
    elif ours != theirs:
        kind = getattr(obj, "_yang_type", None)
        if kind == "identityref" and isinstance(ours, str):
            module, _, name = ours.partition(":")
            identities = obj._restriction_dict["dict_key"]
            assert name == theirs and identities[name]["@module"] == module, (
                f"{where}: {ours!r} is not {theirs!r} qualified with its module"
            )
        elif kind == "leafref":
            assert str(ours) == theirs and not isinstance(ours, bool), f"{where}: {ours!r}"
        else:
            raise AssertionError(f"{where}: we send {ours!r}, the model says {theirs!r}")


@cache
def _scratch(member: str) -> Any:
    """An instance of a top-level binding to look names up in, shared by every :func:`wrap`.

    A new list entry of a network instance or protocol costs most of a second
    (pyangbind builds every container below it), so entries are made once.
    """
    return bindings()[member]()


def _safe(name: str) -> str:
    from pyangbind.lib.yangtypes import safe_name  # noqa: PLC0415

    return str(safe_name(name))


def wrap(path: list[tuple[str, dict[str, str]]], value: Any) -> dict[str, Any]:
    """The root JSON_IETF document holding ``value`` at ``path`` (keys from the path).

    gNMI paths carry plain names; the bindings say which element belongs to
    another YANG module than its parent, and so needs a qualified member name.
    """
    if not path:
        return dict(value)
    tops = {member.rpartition(":")[2]: member for member in bindings()}
    members = [tops[path[0][0]]]
    node = _scratch(members[0])
    module = members[0].partition(":")[0]
    for name, keys in path[1:]:
        node = getattr(node, _safe(name))
        members.append(
            name if node._defining_module == module else f"{node._defining_module}:{name}"
        )
        module = node._defining_module
        if keys:
            yang_keys = node._yang_keys.split(" ")
            existing = " ".join(keys[y] for y in yang_keys)
            if existing in node:
                node = node[existing]
            else:
                safe_keys = node._keyval.split(" ")
                node = node.add(**{s: keys[y] for s, y in zip(safe_keys, yang_keys, strict=True)})
    result: Any = value
    for index in range(len(path) - 1, -1, -1):
        keys = path[index][1]
        if keys:
            entry = {**keys, **result} if isinstance(result, dict) else dict(keys)
            result = {members[index]: [entry]}
        else:
            result = {members[index]: result}
    return dict(result)


# -- TLS -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TestCa:
    ca_file: Path
    cert_file: Path
    key_file: Path


def make_ca(folder: Path, host: str = "127.0.0.1") -> TestCa:
    """A CA and a certificate it signed for ``host`` (an IP SAN), as PEM files."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sprmon test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sprmon lab")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    result = TestCa(folder / "ca.pem", folder / "lab.pem", folder / "lab.key")
    result.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    result.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    result.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return result


def free_port_block(size: int) -> int:
    """A base port such that base+1 .. base+size are free right now, over UDP and TCP."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            base: int = probe.getsockname()[1]
        if base + size > 65535:
            continue
        sockets = []
        try:
            for port in range(base + 1, base + size + 1):
                for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                    sock = socket.socket(socket.AF_INET, kind)
                    sockets.append(sock)
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
        return base
    raise AssertionError("no block of free ports found")
