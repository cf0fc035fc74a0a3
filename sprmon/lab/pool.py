"""What the lab's pools of servers share: one lifetime, and one error for a port that is taken.

The SNMP agents (:class:`sprmon.lab.agents.AgentPool`) and the gNMI targets
(:class:`sprmon.lab.gnmi.server.GnmiPool`) start one server per router and
must never leave one running: a start that fails half-way (the tenth port is
taken) stops the nine already listening before the error reaches the caller.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self

from sprmon.lab.errors import AgentStartError

#: What to do when a port the user chose (``--base-port``) cannot be bound.
_CHOSEN_PORT_HINT = "choose another --base-port, or omit it to let the lab pick free ports"


class ServerPool(ABC):
    """An async context manager: entering starts every server, leaving (or a failure
    half-way through entering) stops every one that started."""

    async def __aenter__(self) -> Self:
        try:
            await self._start()
        except BaseException:
            await self._stop()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._stop()

    @abstractmethod
    async def _start(self) -> None:
        """Start the servers; may fail half-way."""

    @abstractmethod
    async def _stop(self) -> None:
        """Stop whatever :meth:`_start` started, all of it or part of it."""


def listen_error(
    service: str, address: str, router: str, reason: str, *, port: int, any_port_hint: str
) -> AgentStartError:
    """The error for ``router``'s server that cannot listen on ``address``: another port
    if the user chose ``port``, else ``any_port_hint`` (0 failed: the address is wrong)."""
    hint = _CHOSEN_PORT_HINT if port else any_port_hint
    return AgentStartError(
        f"cannot listen for {service} on {address} for {router}: {reason}; {hint}"
    )
