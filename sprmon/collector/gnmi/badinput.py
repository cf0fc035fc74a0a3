"""What a gNMI target sent that sprmon could not use: counted by kind, logged once per kind.

A router that sends an unknown path, a malformed value or a prefix that does
not parse must neither stop the collector nor fill the log: each kind of bad
input is counted per site, and the first occurrence of each kind in the process
is logged (with the site and an example); later ones only count.
"""

from __future__ import annotations

import logging
from collections import Counter
from enum import StrEnum

__all__ = ["BadInput", "BadInputLog"]

log = logging.getLogger("sprmon.collector.gnmi")


class BadInput(StrEnum):
    #: A path outside the OpenConfig paths sprmon reads (or another network instance).
    UNKNOWN_PATH = "unknown_path"
    #: A value of the wrong type or range, or bytes that are not JSON.
    MALFORMED_VALUE = "malformed_value"
    #: A route whose prefix key does not parse as an IP prefix.
    BAD_PREFIX = "bad_prefix"
    #: An address (neighbour, next hop, route origin) that does not parse.
    BAD_ADDRESS = "bad_address"
    #: More entries of one kind than sprmon keeps (an endless or oversized stream).
    TOO_MANY = "too_many"
    #: A route pointing at an attribute or community set the target never sent.
    DANGLING_REFERENCE = "dangling_reference"
    #: A SubscribeResponse sprmon does not expect (an error message, an alias, an extension).
    UNEXPECTED_MESSAGE = "unexpected_message"


class BadInputLog:
    """Counts per site and kind; logs the first occurrence of each kind only.

    One instance per collector process: "once per kind" is per process, so a
    fleet of routers all sending the same unknown path logs one line.
    """

    def __init__(self) -> None:
        # By site: every push of a watched site reads its own counts, so looking
        # them up must not walk every other site's.
        self._counts: dict[str, Counter[BadInput]] = {}
        self._logged: set[BadInput] = set()

    def report(self, site: str, kind: BadInput, detail: str) -> None:
        self._counts.setdefault(site, Counter())[kind] += 1
        if kind not in self._logged:
            self._logged.add(kind)
            log.warning(
                "gNMI target of site %s sent %s: %s (counted; further %s input is not logged)",
                site,
                kind.value.replace("_", " "),
                detail,
                kind.value.replace("_", " "),
            )

    def for_site(self, site: str) -> dict[BadInput, int]:
        return dict(self._counts.get(site, {}))

    def totals(self, site: str) -> tuple[tuple[str, int], ...]:
        """The site's counts as ``(kind, count)`` pairs sorted by kind (metric labels)."""
        counts = self._counts.get(site)
        if not counts:
            return ()
        return tuple(sorted((kind.value, n) for kind, n in counts.items()))

    def forget(self, site: str) -> None:
        self._counts.pop(site, None)
