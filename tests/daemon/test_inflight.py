"""The bound on polls in flight: a poll's waits free its slot, and a cancelled wait leaks none."""

from __future__ import annotations

import asyncio

from sprmon.daemon.inflight import InFlight


async def _spin() -> None:
    """Let every task that can run, run (no clock involved)."""
    for _ in range(10):
        await asyncio.sleep(0)


async def test_a_poll_that_idles_lets_a_waiting_poll_in_and_takes_a_slot_back_after() -> None:
    in_flight = InFlight(1)
    events: list[str] = []
    resume = asyncio.Event()

    async def watching() -> None:
        async with in_flight.slot() as idle:
            events.append("watch reads")
            await idle(0.01)
            events.append("watch reads again")

    async def other() -> None:
        async with in_flight.slot():
            events.append("other polls")
            await resume.wait()
            events.append("other done")

    first = asyncio.create_task(watching())
    await _spin()
    second = asyncio.create_task(other())
    await asyncio.sleep(0.05)  # the watch's wait is over; its slot is taken by the other poll
    assert events == ["watch reads", "other polls"]
    resume.set()
    await asyncio.gather(first, second)
    assert events == ["watch reads", "other polls", "other done", "watch reads again"]


async def test_a_poll_cancelled_while_it_idles_leaves_its_slot_free_and_no_extra_one() -> None:
    in_flight = InFlight(1)
    idling = asyncio.Event()

    async def watching() -> None:
        async with in_flight.slot() as idle:
            idling.set()
            await idle(3600)

    task = asyncio.create_task(watching())
    await idling.wait()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)

    async with in_flight.slot():
        late = asyncio.create_task(_enter(in_flight))
        await _spin()
        assert not late.done(), "one slot, already taken: the cancelled wait gave back no extra"
    await late


async def test_an_idle_of_no_time_keeps_the_slot() -> None:
    in_flight = InFlight(1)
    async with in_flight.slot() as idle:
        late = asyncio.create_task(_enter(in_flight))
        await idle(0)
        await _spin()
        assert not late.done()
    await late


async def _enter(in_flight: InFlight) -> None:
    async with in_flight.slot():
        pass
