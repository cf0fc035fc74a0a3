"""HTTP basic authentication against the web config's bcrypt hashes.

bcrypt is slow by design (about 0.1 s at cost 10, 0.4 s at cost 12 on a small
VM), and Prometheus sends the same credentials at every scrape. So, as
exporter-toolkit does: checks run one at a time in one worker thread (a
password-guessing client cannot take every core, nor the event loop), and a
successful check is cached. The cache keeps an HMAC of user and password under
a key that lives only in this process: neither the password nor a plain hash
of it is kept. A user that does not exist is checked against a decoy hash of
the same cost, so that response times do not tell which users exist.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import os
from collections import OrderedDict
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import bcrypt


def basic_credentials(header: str) -> tuple[str, str] | None:
    """(user, password) from an ``Authorization: Basic ...`` value; None if it is not one."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, colon, password = decoded.partition(":")
    return (user, password) if colon else None


class BasicAuth:
    """Checks credentials; create with :meth:`create` (it hashes the decoy), then :meth:`close`."""

    def __init__(
        self,
        users: Mapping[str, bytes],
        decoy: bytes,
        *,
        max_pending: int = 8,
        max_cached: int = 1024,
    ) -> None:
        self._users = users
        self._decoy = decoy
        self._max_pending = max_pending
        self._max_cached = max_cached
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="sprmon-bcrypt")
        self._key = os.urandom(32)
        self._granted: OrderedDict[bytes, None] = OrderedDict()
        self._pending = 0
        #: bcrypt rounds run so far (cache misses): tests and benchmarks read it.
        self.bcrypt_checks = 0

    @classmethod
    async def create(cls, users: Mapping[str, bytes], *, max_pending: int = 8) -> BasicAuth:
        # The decoy costs what a real user's hash costs (the cost is "$2b$NN$...").
        cost = int(next(iter(users.values()))[4:6])
        decoy = await asyncio.to_thread(bcrypt.hashpw, os.urandom(16), bcrypt.gensalt(cost))
        return cls(users, decoy, max_pending=max_pending)

    async def check(self, user: str, password: str) -> bool | None:
        """True or False; None when too many checks are already waiting (answer 503)."""
        hashed = self._users.get(user)
        secret = password.encode("utf-8")
        message = b"\0".join((user.encode("utf-8"), hashed or b"", secret))
        token = hmac.new(self._key, message, hashlib.sha256).digest()
        if hashed is not None and token in self._granted:
            self._granted.move_to_end(token)
            return True
        if self._pending >= self._max_pending:
            return None
        self._pending += 1
        try:
            loop = asyncio.get_running_loop()
            self.bcrypt_checks += 1
            matches = await loop.run_in_executor(
                self._pool, _bcrypt_matches, secret, hashed or self._decoy
            )
        finally:
            self._pending -= 1
        if hashed is None or not matches:
            return False
        self._granted[token] = None
        if len(self._granted) > self._max_cached:
            self._granted.popitem(last=False)
        return True

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._granted.clear()


def _bcrypt_matches(password: bytes, hashed: bytes) -> bool:
    try:
        return bcrypt.checkpw(password, hashed)
    except ValueError:
        # bcrypt 5 refuses passwords over 72 bytes rather than truncating them: no match.
        return False
