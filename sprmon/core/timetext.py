"""POSIX seconds as UTC text, for explanations, without a clock or ``datetime``.

The core may not import ``datetime`` (its ``now()`` is a clock; see
tests/test_architecture.py), yet explanations say *when* something happened.
The civil date comes from the day count with Howard Hinnant's
``civil_from_days`` algorithm (proleptic Gregorian, any year).
"""

from __future__ import annotations

__all__ = ["utc_text"]

_DAY = 86_400


def utc_text(posix: float) -> str:
    """``1764590403.7`` -> ``2025-12-01T12:00:03Z`` (whole seconds, rounded down)."""
    seconds = int(posix // 1)
    days, rest = divmod(seconds, _DAY)
    hour, rest = divmod(rest, 3600)
    minute, second = divmod(rest, 60)
    year, month, day = _civil_from_days(days)
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}Z"


def _civil_from_days(days: int) -> tuple[int, int, int]:
    """Year, month, day of the day ``days`` after 1970-01-01."""
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    year = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return year + (month <= 2), month, day
