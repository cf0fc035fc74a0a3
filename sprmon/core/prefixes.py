"""Canonical prefix and address strings, and the covering prefixes for LPM.

The core keys prefixes and addresses by canonical strings (``ipaddress``'s
``compressed`` form, host bits cleared) rather than ``ipaddress`` objects:
``str`` caches its hash, so indexing a million paths costs dict operations,
not a million Python-level ``__hash__`` calls. Everything that builds core
objects from outside data (intent loader, snapshot codec, collectors) must use
:func:`canonical_prefix` / :func:`canonical_address`.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import NewType

#: A canonical prefix string such as ``"10.0.21.0/24"`` or ``"2001:db8::/32"``.
Prefix = NewType("Prefix", str)
#: A canonical address string such as ``"198.51.100.1"`` or ``"2001:db8::1"``.
Address = NewType("Address", str)


@lru_cache(maxsize=65536)
def canonical_prefix(text: str, *, strict: bool = True) -> Prefix:
    """Return the canonical form of a prefix; raise ``ValueError`` if invalid.

    With ``strict`` (the default) host bits set (``10.0.21.1/24``) are an
    error, because in an intent file they are usually a typo.
    """
    return Prefix(ipaddress.ip_network(text.strip(), strict=strict).compressed)


@lru_cache(maxsize=65536)
def canonical_address(text: str) -> Address:
    """Return the canonical form of an IP address; raise ``ValueError`` if invalid."""
    return Address(ipaddress.ip_address(text.strip()).compressed)


@lru_cache(maxsize=65536)
def covering_prefixes(prefix: Prefix) -> tuple[Prefix, ...]:
    """The prefix itself and every shorter prefix that contains it, longest first.

    Looking these up in order in a dict of routes is a longest-prefix match.
    """
    network = ipaddress.ip_network(prefix)
    result = [prefix]
    for length in range(network.prefixlen - 1, -1, -1):
        result.append(Prefix(network.supernet(new_prefix=length).compressed))
    return tuple(result)


def prefix_version(prefix: Prefix) -> int:
    """4 or 6."""
    return 6 if ":" in prefix else 4
