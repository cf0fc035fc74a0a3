"""The credentials of a lab (SNMP, gNMI): made up at start, written to files for the intent."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Literal

SnmpVersion = Literal["2c", "3"]

#: The one SNMPv3 user of a lab and its protocols (authPriv, always named).
V3_USER = "sprmon-lab"
V3_AUTH_PROTOCOL = "sha256"
V3_PRIV_PROTOCOL = "aes128"


@dataclass(frozen=True, slots=True)
class V2cCredentials:
    community: str = field(repr=False)

    version: SnmpVersion = "2c"


@dataclass(frozen=True, slots=True)
class V3Credentials:
    """SNMPv3 USM authPriv with HMAC-SHA-256 and AES-128 (the keys are passphrases)."""

    auth_key: str = field(repr=False)
    priv_key: str = field(repr=False)
    user: str = V3_USER
    version: SnmpVersion = "3"


LabCredentials = V2cCredentials | V3Credentials

#: The gNMI user of a lab (its password is made up at start).
GNMI_USER = "sprmon-lab"


@dataclass(frozen=True, slots=True)
class GnmiCredentials:
    """The username and password a lab's gNMI targets require (gRPC metadata)."""

    password: str = field(repr=False)
    username: str = GNMI_USER


def generate_gnmi_credentials() -> GnmiCredentials:
    return GnmiCredentials(password=secrets.token_urlsafe(16))


def generate_credentials(version: SnmpVersion) -> LabCredentials:
    """Fresh random credentials: a lab never has a well-known community."""
    if version == "2c":
        return V2cCredentials(community=secrets.token_urlsafe(16))
    return V3Credentials(auth_key=secrets.token_urlsafe(16), priv_key=secrets.token_urlsafe(16))
