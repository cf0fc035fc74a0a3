"""The lab's gNMI targets at the protocol level: POLL, faults, refusals, slow subscribers.

These drive the server with the raw gNMI stubs pygnmi ships, over ``grpc.aio``,
where pygnmi's client hides what is tested (a Poll's pairing with its answer,
a status code, a stream that goes silent).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from pygnmi.spec.v080 import gnmi_pb2, gnmi_pb2_grpc

from sprmon.lab import Lab, run_lab
from sprmon.lab.gnmi.codec import GARBAGE_VALUE, JSON_IETF
from sprmon.lab.gnmi.paths import Elem, Kind, Snapshot, Value
from sprmon.lab.gnmi.session import Session, parse_subscription_list
from sprmon.lab.plan import MPLS
from tests.lab.helpers import FakeClock

FROZEN = 3600.0
#: Each call's deadline: only a target that holds its answer reaches it.
DEADLINE = 5.0


@pytest.fixture
async def lab(clock: FakeClock, tmp_path: Path) -> AsyncIterator[Lab]:
    async with run_lab(
        sites=1, seed=5, clock=clock, tick=FROZEN, control=False, protocols="gnmi"
    ) as running:
        yield running


@pytest.fixture
async def stub(lab: Lab) -> AsyncIterator[Any]:
    async with grpc.aio.insecure_channel(f"{lab.host}:{lab.gnmi_ports['site-001']}") as channel:
        yield gnmi_pb2_grpc.gNMIStub(channel)


def metadata(lab: Lab) -> list[tuple[str, str]]:
    assert lab.gnmi_credentials is not None
    return [
        ("username", lab.gnmi_credentials.username),
        ("password", lab.gnmi_credentials.password),
    ]


def path(*elems: tuple[str, dict[str, str]] | str) -> Any:
    return gnmi_pb2.Path(
        elem=[
            gnmi_pb2.PathElem(name=e)
            if isinstance(e, str)
            else gnmi_pb2.PathElem(name=e[0], key=e[1])
            for e in elems
        ]
    )


ETH1_IN_OCTETS = path(
    "interfaces", ("interface", {"name": "eth1"}), "state", "counters", "in-octets"
)


def subscription(list_mode: int, /, *paths: Any, **options: Any) -> Any:
    """A SubscribeRequest; ``options`` go to each Subscription (``encoding`` to the list)."""
    return gnmi_pb2.SubscribeRequest(
        subscribe=gnmi_pb2.SubscriptionList(
            mode=list_mode,
            encoding=options.pop("encoding", JSON_IETF),
            subscription=[gnmi_pb2.Subscription(path=p, **options) for p in paths],
        )
    )


class Requests:
    """The client's side of a Subscribe stream: requests put here are sent."""

    def __init__(self, first: Any) -> None:
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.queue.put_nowait(first)

    def __aiter__(self) -> Requests:
        return self

    async def __anext__(self) -> Any:
        request = await self.queue.get()
        if request is None:
            raise StopAsyncIteration  # half-close
        return request


async def until_sync(call: Any) -> list[Any]:
    received: list[Any] = []
    while True:
        response = await asyncio.wait_for(call.read(), DEADLINE)
        if response.sync_response:
            return received
        received.append(response)


def leaf_values(responses: list[Any]) -> dict[str, Any]:
    values = {}
    for response in responses:
        for update in response.update.update:
            values[update.path.elem[-1].name] = json.loads(update.val.json_ietf_val)
    return values


async def test_poll_answers_each_poll_with_the_state_of_that_moment(
    lab: Lab, stub: Any, clock: FakeClock
) -> None:
    requests = Requests(subscription(gnmi_pb2.SubscriptionList.POLL, ETH1_IN_OCTETS))
    call = stub.Subscribe(requests, metadata=metadata(lab))
    initial = leaf_values(await until_sync(call))
    clock.advance(60)
    lab.tick()
    requests.queue.put_nowait(gnmi_pb2.SubscribeRequest(poll=gnmi_pb2.Poll()))
    polled = leaf_values(await until_sync(call))
    for _ in range(2):
        requests.queue.put_nowait(gnmi_pb2.SubscribeRequest(poll=gnmi_pb2.Poll()))
    twice = [leaf_values(await until_sync(call)) for _ in range(2)]
    requests.queue.put_nowait(None)
    ended = await asyncio.wait_for(call.read(), DEADLINE)
    assert int(polled["in-octets"]) > int(initial["in-octets"])
    eth1 = next(i for i in lab.model.interfaces("site-001") if i.name == "eth1")
    assert polled["in-octets"] == str(eth1.in_octets)
    assert twice == [polled, polled], "two Polls, two answers"
    assert ended is grpc.aio.EOF, "closing its side ends a POLL subscription"
    assert await call.code() is grpc.StatusCode.OK


async def test_a_muted_target_holds_its_answers_until_cleared(lab: Lab, stub: Any) -> None:
    lab.inject("site-001", "mute")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.Get(
            gnmi_pb2.GetRequest(path=[ETH1_IN_OCTETS], encoding=JSON_IETF),
            metadata=metadata(lab),
            timeout=0.5,
        )
    assert raised.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
    pending = asyncio.ensure_future(
        stub.Get(
            gnmi_pb2.GetRequest(path=[ETH1_IN_OCTETS], encoding=JSON_IETF), metadata=metadata(lab)
        )
    )
    lab.clear("site-001")
    response = await asyncio.wait_for(pending, DEADLINE)
    assert response.notification[0].update[0].path.elem[-1].name == "in-octets"


async def test_a_reboot_ends_the_open_streams_with_unavailable(lab: Lab, stub: Any) -> None:
    call = stub.Subscribe(
        Requests(
            subscription(gnmi_pb2.SubscriptionList.STREAM, ETH1_IN_OCTETS, mode=gnmi_pb2.ON_CHANGE)
        ),
        metadata=metadata(lab),
    )
    await until_sync(call)
    lab.inject("site-001", "reboot")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        while True:
            await asyncio.wait_for(call.read(), DEADLINE)
    assert raised.value.code() is grpc.StatusCode.UNAVAILABLE
    assert "site-001 rebooted" in (raised.value.details() or "")
    again = stub.Subscribe(
        Requests(subscription(gnmi_pb2.SubscriptionList.ONCE, ETH1_IN_OCTETS)),
        metadata=metadata(lab),
    )
    assert leaf_values(await until_sync(again)) == {"in-octets": "0"}, "counters restarted"


async def test_a_garbage_target_sends_values_that_are_not_json(lab: Lab, stub: Any) -> None:
    lab.inject("site-001", "garbage")
    response = await stub.Get(
        gnmi_pb2.GetRequest(path=[ETH1_IN_OCTETS], encoding=JSON_IETF), metadata=metadata(lab)
    )
    value = response.notification[0].update[0].val.json_ietf_val
    assert value == GARBAGE_VALUE
    with pytest.raises(ValueError, match="Expecting"):
        json.loads(value)


@pytest.mark.parametrize(
    ("request_", "code", "message"),
    [
        (
            gnmi_pb2.GetRequest(path=[ETH1_IN_OCTETS], encoding=gnmi_pb2.JSON),
            grpc.StatusCode.UNIMPLEMENTED,
            "encoding JSON is not supported: use JSON_IETF or PROTO",
        ),
        (
            gnmi_pb2.GetRequest(path=[ETH1_IN_OCTETS], type=gnmi_pb2.GetRequest.CONFIG),
            grpc.StatusCode.NOT_FOUND,
            "operational state only",
        ),
        (
            gnmi_pb2.GetRequest(
                path=[gnmi_pb2.Path(origin="rfc7951", elem=[gnmi_pb2.PathElem(name="a")])],
                encoding=JSON_IETF,
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            "origin 'rfc7951' is not served",
        ),
    ],
)
async def test_a_get_the_lab_cannot_serve_is_refused_with_the_reason(
    lab: Lab, stub: Any, request_: Any, code: grpc.StatusCode, message: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.Get(request_, metadata=metadata(lab), timeout=DEADLINE)
    assert raised.value.code() is code
    assert message in (raised.value.details() or "")


@pytest.mark.parametrize(
    ("first", "code", "message"),
    [
        (
            gnmi_pb2.SubscribeRequest(poll=gnmi_pb2.Poll()),
            grpc.StatusCode.INVALID_ARGUMENT,
            "the first request of a Subscribe RPC must be a SubscriptionList",
        ),
        (
            subscription(
                gnmi_pb2.SubscriptionList.STREAM,
                ETH1_IN_OCTETS,
                mode=gnmi_pb2.SAMPLE,
                sample_interval=1000,
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            "sample_interval 1000 ns is below the lab's minimum of 100000000 ns",
        ),
        (
            gnmi_pb2.SubscribeRequest(
                subscribe=gnmi_pb2.SubscriptionList(
                    subscription=[gnmi_pb2.Subscription(path=ETH1_IN_OCTETS)],
                    use_aliases=True,
                    encoding=JSON_IETF,
                )
            ),
            grpc.StatusCode.UNIMPLEMENTED,
            "aliases",
        ),
        (
            subscription(gnmi_pb2.SubscriptionList.STREAM, ETH1_IN_OCTETS, encoding=gnmi_pb2.ASCII),
            grpc.StatusCode.UNIMPLEMENTED,
            "encoding ASCII is not supported",
        ),
    ],
)
async def test_a_subscription_the_lab_cannot_serve_is_refused_with_the_reason(
    lab: Lab, stub: Any, first: Any, code: grpc.StatusCode, message: str
) -> None:
    call = stub.Subscribe(Requests(first), metadata=metadata(lab))
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await asyncio.wait_for(call.read(), DEADLINE)
    assert raised.value.code() is code
    assert message in (raised.value.details() or "")


async def test_a_poll_on_a_stream_subscription_is_refused(lab: Lab, stub: Any) -> None:
    requests = Requests(
        subscription(gnmi_pb2.SubscriptionList.STREAM, ETH1_IN_OCTETS, mode=gnmi_pb2.ON_CHANGE)
    )
    call = stub.Subscribe(requests, metadata=metadata(lab))
    await until_sync(call)
    requests.queue.put_nowait(gnmi_pb2.SubscribeRequest(poll=gnmi_pb2.Poll()))
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await asyncio.wait_for(call.read(), DEADLINE)
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "a Poll request on a STREAM subscription" in (raised.value.details() or "")


async def test_a_stream_outlives_the_clients_half_close(lab: Lab, stub: Any) -> None:
    requests = Requests(
        subscription(
            gnmi_pb2.SubscriptionList.STREAM,
            path("network-instances"),
            mode=gnmi_pb2.ON_CHANGE,
        )
    )
    call = stub.Subscribe(requests, metadata=metadata(lab))
    await until_sync(call)
    requests.queue.put_nowait(None)
    lab.inject("site-001", "med-drift", MPLS)
    change = await asyncio.wait_for(call.read(), DEADLINE)
    assert change.update.update, "still streaming after the client closed its side"
    call.cancel()


async def test_a_heartbeat_resends_unchanged_values_and_target_defined_means_on_change(
    lab: Lab, stub: Any
) -> None:
    request = subscription(
        gnmi_pb2.SubscriptionList.STREAM,
        ETH1_IN_OCTETS,
        mode=gnmi_pb2.TARGET_DEFINED,
        heartbeat_interval=100_000_000,
    )
    request.subscribe.prefix.target = "site-001"
    call = stub.Subscribe(Requests(request), metadata=metadata(lab))
    initial = await until_sync(call)
    again = await asyncio.wait_for(call.read(), DEADLINE)
    call.cancel()
    assert leaf_values([again]) == leaf_values(initial), "the same value, sent again"
    assert again.update.prefix.target == "site-001", "the request's target comes back"


async def test_sample_with_suppress_redundant_sends_only_what_changed(
    lab: Lab, stub: Any, clock: FakeClock
) -> None:
    counters = path("interfaces", ("interface", {"name": "eth2"}), "state", "counters")
    call = stub.Subscribe(
        Requests(
            subscription(
                gnmi_pb2.SubscriptionList.STREAM,
                counters,
                mode=gnmi_pb2.SAMPLE,
                sample_interval=100_000_000,
                suppress_redundant=True,
            )
        ),
        metadata=metadata(lab),
    )
    initial = leaf_values(await until_sync(call))
    clock.advance(10)
    lab.tick()
    changed = leaf_values([await asyncio.wait_for(call.read(), DEADLINE)])
    call.cancel()
    assert set(initial) >= {"in-octets", "out-octets", "in-errors", "out-errors"}
    assert set(changed) == {"in-octets", "out-octets"}, "errors do not grow: not sent again"


# -- the session alone: coalescing for a slow subscriber -------------------------------------


class FakeTarget:
    """A router whose one leaf the test sets."""

    def __init__(self) -> None:
        self.value = 0

    def current(self) -> Snapshot:
        container = (Elem("system", module="openconfig-system"), Elem("state"))
        return Snapshot({container: {Elem("x"): Value(Kind.UINT64, self.value)}}, 1.0)

    def muted(self) -> bool:
        return False

    def garbage(self) -> bool:
        return False


async def test_a_slow_subscriber_gets_the_latest_value_not_a_backlog() -> None:
    target = FakeTarget()
    spec = parse_subscription_list(
        subscription(
            gnmi_pb2.SubscriptionList.STREAM, path("system"), mode=gnmi_pb2.ON_CHANGE
        ).subscribe
    )
    session = Session(spec, target, asyncio.get_running_loop().time)
    responses = session.responses()
    first = await anext(responses)
    assert json.loads(first.update.update[0].val.json_ietf_val) == "0"
    assert (await anext(responses)).sync_response
    for value in range(1, 1001):
        # The subscriber reads nothing while the leaf changes a thousand times.
        target.value = value
        session.wake()
    update = await anext(responses)
    assert [json.loads(u.val.json_ietf_val) for u in update.update.update] == ["1000"]
    nothing_left = asyncio.ensure_future(anext(responses))
    await asyncio.sleep(0.05)
    assert not nothing_left.done(), "one message for a thousand changes, nothing queued"
    nothing_left.cancel()
    with pytest.raises(asyncio.CancelledError):
        await nothing_left
