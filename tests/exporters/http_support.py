"""A blocking HTTP client run in a thread, so tests can talk to a server on their own loop."""

from __future__ import annotations

import asyncio
import base64
import functools
import http.client
import ssl
from dataclasses import dataclass


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _request(
    port: int,
    path: str,
    *,
    method: str,
    headers: dict[str, str],
    context: ssl.SSLContext | None,
    timeout_s: float,
) -> Reply:
    connection: http.client.HTTPConnection
    if context is None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    else:
        connection = http.client.HTTPSConnection(
            "127.0.0.1", port, timeout=timeout_s, context=context
        )
    try:
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
    finally:
        connection.close()


async def get(
    port: int,
    path: str = "/metrics",
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    context: ssl.SSLContext | None = None,
    timeout_s: float = 30.0,
) -> Reply:
    return await asyncio.to_thread(
        functools.partial(
            _request,
            port,
            path,
            method=method,
            headers=headers or {},
            context=context,
            timeout_s=timeout_s,
        )
    )
