"""Parsers for the values an intent file writes as text: sizes, durations, ratios.

Each raises ``ValueError`` with a message meant for the person editing the
file; the schema turns it into a problem at the value's line.
"""

from __future__ import annotations

import ipaddress
import math
import re
from decimal import Decimal

from sprmon.core.prefixes import Address, Prefix, canonical_address, canonical_prefix
from sprmon.intentfile.problems import excerpt, quote

#: Decimal SI, as links are sold: 10 Mbps is 10,000,000 bit/s.
CAPACITY_UNITS: dict[str, int] = {
    "bps": 1,
    "kbps": 1_000,
    "Kbps": 1_000,
    "Mbps": 1_000_000,
    "Gbps": 1_000_000_000,
    "Tbps": 1_000_000_000_000,
}
DURATION_UNITS: dict[str, float] = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
#: The shortest duration a file can mean: its smallest unit. Below it, a
#: number such as 1e-300 is a mistake, and would turn a timeout into "never wait".
MIN_DURATION_S = 0.001

_NUMBER_UNIT = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z/]*)\s*")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Dotted-quad IPv4 without leading zeros is already canonical. Recognising it
# with one regex is 30x cheaper than ipaddress, and intent files with 10,000
# sites hold tens of thousands of distinct addresses.
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_CANONICAL_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")
_U16 = 0xFFFF
_U32 = 0xFFFF_FFFF


def describe(value: object) -> str:
    """How a value from the file reads in a message (text as a short, escaped excerpt)."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and abs(value) >= 10**30:
        # Never all the digits: Python refuses to print more than 4,300 of them.
        return f"a number of {value.bit_length()} bits"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def kind_of(value: object) -> str:
    """What a value is, never what it says: for a whole document, which may be a
    secret file or /etc/passwd given as an intent by mistake."""
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    return describe(value)


def parse_capacity(value: object) -> int:
    """``"10Mbps"`` -> ``10_000_000``. A bare number is refused: 10 what?"""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"expected a capacity such as 10Mbps, got {describe(value)}")
    if isinstance(value, int | float):
        raise ValueError("capacity needs a unit, e.g. 10Mbps")
    match = _NUMBER_UNIT.fullmatch(value)
    if match is None:
        raise ValueError(f"expected a capacity such as 10Mbps, got {describe(value)}")
    number, unit = match.groups()
    if not unit:
        raise ValueError("capacity needs a unit, e.g. 10Mbps")
    factor = CAPACITY_UNITS.get(unit)
    if factor is None:
        raise ValueError(_unknown_unit("capacity", unit, CAPACITY_UNITS))
    bps = Decimal(number) * factor
    if bps != bps.to_integral_value():
        raise ValueError(f"capacity {value.strip()} is not a whole number of bits per second")
    if bps <= 0:
        raise ValueError("capacity must be greater than 0")
    return int(bps)


def parse_duration(value: object) -> float:
    """``"5m"`` -> ``300.0``; a plain number is seconds. At least 1ms; each field
    bounds it further (schema.py)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"expected a duration such as 30s or 5m, got {describe(value)}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _NUMBER_UNIT.fullmatch(value)
        if match is None:
            raise ValueError(f"expected a duration such as 30s or 5m, got {describe(value)}")
        number, unit = match.groups()
        factor = DURATION_UNITS.get(unit or "s")
        if factor is None:
            raise ValueError(_unknown_unit("duration", unit, DURATION_UNITS))
        seconds = float(number) * factor
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"a duration must be greater than 0, got {describe(value)}")
    if seconds < MIN_DURATION_S:
        raise ValueError(f"a duration must be at least 1ms, got {describe(value)}")
    return seconds


def format_seconds(seconds: float) -> str:
    """``0.5`` -> ``500ms``, ``3600`` -> ``1h``: a bound as the file would write it."""
    for unit, factor in (("d", 86400.0), ("h", 3600.0), ("m", 60.0), ("s", 1.0)):
        if seconds >= factor and seconds % factor == 0:
            return f"{seconds / factor:g}{unit}"
    return f"{seconds * 1000:g}ms"


def parse_ratio(value: object) -> float:
    """``"80%"`` or ``0.8`` -> ``0.8``, within 0..1."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(
            f"expected a percentage such as 80% or a ratio such as 0.8, got {describe(value)}"
        )
    ratio: float
    if isinstance(value, str):
        text = value.strip()
        try:
            ratio = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            raise ValueError(
                f"expected a percentage such as 80% or a ratio such as 0.8, got {describe(value)}"
            ) from None
    else:
        ratio = float(value)
        if math.isfinite(ratio) and 1 < ratio <= 100:
            raise ValueError(
                f"{value} is not a ratio between 0 and 1: write {value}% or {ratio / 100:g}"
            )
    if not math.isfinite(ratio) or not 0 <= ratio <= 1:
        raise ValueError(f"{describe(value)} is outside 0..1 (0% to 100%)")
    return ratio


def parse_rate(value: object) -> float:
    """Errors plus discards per second: a number, zero or more."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"expected a number of errors per second, got {describe(value)}")
    try:
        rate = float(value)
    except ValueError:
        raise ValueError(f"expected a number of errors per second, got {describe(value)}") from None
    if not math.isfinite(rate) or rate < 0:
        raise ValueError(f"expected zero or more errors per second, got {describe(value)}")
    return rate


def parse_prefix(value: object) -> Prefix:
    """A prefix with its length, host bits clear, as a canonical string."""
    if not isinstance(value, str):
        raise ValueError(f"expected a prefix such as 10.0.21.0/24, got {describe(value)}")
    text = value.strip()
    if "/" not in text:
        raise ValueError(f"{quote(text)} has no prefix length: write e.g. {excerpt(text)}/24")
    try:
        return canonical_prefix(text)
    except ValueError:
        pass
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValueError(f"{quote(text)} is not an IPv4 or IPv6 prefix") from None
    raise ValueError(f"{quote(text)} has host bits set (did you mean {network.compressed}?)")


def parse_address(value: object) -> Address:
    """An IPv4 or IPv6 address, as a canonical string."""
    if not isinstance(value, str):
        raise ValueError(f"expected an IP address, got {describe(value)}")
    if _CANONICAL_IPV4.fullmatch(value):
        return Address(value)
    try:
        return canonical_address(value)
    except ValueError:
        raise ValueError(f"{quote(value.strip())} is not an IPv4 or IPv6 address") from None


def parse_community(value: object) -> str:
    """``"65000:100"`` (RFC 1997) or ``"65000:1:2"`` (RFC 8092 large), canonical."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(f'expected a community such as "65000:100", got {describe(value)}')
    parts = value.strip().split(":")
    limit = _U16 if len(parts) == 2 else _U32
    if len(parts) not in (2, 3) or not all(p.isdigit() and int(p) <= limit for p in parts):
        raise ValueError(
            f'{quote(value)} is not a BGP community: write ASN:VALUE ("65000:100", each part '
            f"0..65535) or a large community ASN:DATA1:DATA2"
        )
    return ":".join(str(int(p)) for p in parts)


def check_env_name(value: str) -> str:
    if not _ENV_NAME.fullmatch(value):
        raise ValueError(f"{quote(value)} is not an environment variable name")
    return value


def _unknown_unit(kind: str, unit: str, units: dict[str, int] | dict[str, float]) -> str:
    for known in units:
        if known.lower() == unit.lower():
            return f"unknown {kind} unit {quote(unit)} (did you mean '{known}'?)"
    names = list(dict.fromkeys(units))
    listing = ", ".join(names[:-1]) + f" or {names[-1]}"
    return f"unknown {kind} unit {quote(unit)} (use {listing})"
