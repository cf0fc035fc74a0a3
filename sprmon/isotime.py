"""Times as sprmon writes them: ISO 8601 in UTC with a ``Z``, read back exactly.

Shared by the snapshot codec (which reads and writes them) and the renderers
(which only write them), so that neither depends on the other for a format.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["format_time", "parse_time"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def parse_time(text: str) -> float:
    """POSIX seconds from an ISO 8601 time with a time zone; ``ValueError`` otherwise."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone (write it in UTC, e.g. {text}Z)")
    # Integer microseconds, then one division: a float that format_time was given
    # comes back bit for bit whenever it had at most microsecond resolution.
    return ((moment - _EPOCH) // _MICROSECOND) / 1_000_000


def format_time(posix: float) -> str:
    """ISO 8601 UTC with a ``Z``; fractional seconds only when there are any (µs precision)."""
    moment = _EPOCH + timedelta(microseconds=round(posix * 1_000_000))
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"
