"""``--shard INDEX/COUNT``: which sites this process owns.

A site belongs to shard ``hash(name) mod COUNT``, with a hash that is the
same in every process and on every machine (BLAKE2b of the UTF-8 name, not
Python's salted ``hash``). So COUNT processes started with ``0/COUNT`` ..
``COUNT-1/COUNT`` on the same intent cover every site exactly once, and a
site added to (or removed from) the intent moves no other site. Changing
COUNT moves most sites: plan shard counts with room to grow.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

__all__ = ["Shard", "ShardError"]

_SPEC = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


class ShardError(ValueError):
    """A ``--shard`` value that is not ``INDEX/COUNT`` with 0 <= INDEX < COUNT."""


@dataclass(frozen=True, slots=True)
class Shard:
    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ShardError(
                f"shard {self.index}/{self.count}: the index must be 0 to count-1 "
                "(e.g. 0/2 and 1/2 for two processes)"
            )

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"1/4"`` -> ``Shard(1, 4)``."""
        match = _SPEC.fullmatch(text)
        if match is None:
            raise ShardError(f"'{text}' is not INDEX/COUNT, e.g. 0/2")
        return cls(int(match.group(1)), int(match.group(2)))

    def owns(self, site: str) -> bool:
        if self.count == 1:
            return True
        return shard_of(site, self.count) == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def shard_of(site: str, count: int) -> int:
    """The shard of ``site`` among ``count``: stable across processes and machines."""
    digest = hashlib.blake2b(site.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % count
