"""The native v2c agents answer exactly what the lab's pysnmp agents answer, over real UDP.

Two agent pools serve one frozen model side by side: the native fast path
(what a v2c lab runs) and pysnmp (what it ran before, and what SNMPv3 labs
run). Every request goes to both; the answers must be the same octets, or
both must stay silent. Net-SNMP's tools read the fast path as they read
pysnmp's.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sprmon.collector import ber
from sprmon.collector.poller import SnmpPoller, snmp_sites
from sprmon.intentfile import load_config
from sprmon.lab import run_lab
from sprmon.lab.agents import AgentPool
from sprmon.lab.credentials import V2cCredentials
from sprmon.lab.mib import render
from sprmon.lab.model import WanModel
from sprmon.smi import Oid
from sprmon.snmp_oids import BGP, SYS_UP_TIME, BgpPathEntry, IfEntry
from tests.lab.helpers import T0, FakeClock, net_snmp

pytestmark = pytest.mark.peer

COMMUNITY = "fast-path-test"
#: The request-id of the probe that follows every request (see :func:`exchange`).
PROBE_ID = 2**31 - 7
SYS_DESCR_0 = (1, 3, 6, 1, 2, 1, 1, 1, 0)
MIB_2 = (1, 3, 6, 1, 2, 1)
PATH_COLUMNS = [
    BgpPathEntry.PEER,
    BgpPathEntry.PREFIX,
    BgpPathEntry.MED,
    BgpPathEntry.BEST,
]


@dataclass(frozen=True)
class Pair:
    """The same model served twice: native agents and pysnmp agents."""

    model: WanModel
    native: dict[str, int]
    pysnmp: dict[str, int]


@pytest.fixture
async def pair() -> AsyncIterator[Pair]:
    clock = FakeClock()
    model = WanModel(sites=3, seed=7, start=T0)
    credentials = V2cCredentials(community=COMMUNITY)
    async with (
        AgentPool(model, credentials=credentials, tick=3600, clock=clock) as native,
        AgentPool(
            model, credentials=credentials, tick=3600, clock=clock, v2c_backend="pysnmp"
        ) as pysnmp,
    ):
        assert (native.backend, pysnmp.backend) == ("native", "pysnmp")
        yield Pair(model, native.ports, pysnmp.ports)


def request(
    pdu_type: int,
    oids: Sequence[Oid],
    *,
    non_repeaters: int = 0,
    max_repetitions: int = 0,
    request_id: int = 4242,
    community: str = COMMUNITY,
) -> bytes:
    return ber.encode_request(
        community=community.encode(),
        pdu_type=pdu_type,
        request_id=request_id,
        oids=oids,
        non_repeaters=non_repeaters,
        max_repetitions=max_repetitions,
    )


PROBE = request(ber.GET, [(*SYS_UP_TIME, 0)], request_id=PROBE_ID)


def _is_probe_answer(data: bytes) -> bool:
    try:
        return ber.decode_message(data).request_id == PROBE_ID
    except ber.BerError:
        return False


async def exchange(port: int, data: bytes) -> bytes | None:
    """What the agent on ``port`` answers to ``data``; None if it answers nothing.

    A probe request follows on the same socket: an agent handles its
    datagrams in order, so when the probe's answer arrives first the request
    got none, with no timeout to wait out.
    """
    loop = asyncio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        sock.connect(("127.0.0.1", port))
        await loop.sock_sendall(sock, data)
        await loop.sock_sendall(sock, PROBE)
        answer = None
        async with asyncio.timeout(5):
            while True:
                received = await loop.sock_recv(sock, 1 << 16)
                if _is_probe_answer(received):
                    return answer
                assert answer is None, "two answers to one request"
                answer = received


async def both(pair: Pair, data: bytes, router: str = "site-001") -> bytes | None:
    """The one answer both kinds of agent give to ``data`` (they must agree)."""
    native = await exchange(pair.native[router], data)
    reference = await exchange(pair.pysnmp[router], data)
    assert native == reference, (
        f"native answered {native!r}, pysnmp {reference!r}"
        if native and reference
        else f"native answered {native is not None}, pysnmp {reference is not None}"
    )
    return native


def varbinds(answer: bytes | None) -> list[tuple[str, str]]:
    """(dotted OID, value kind) of each variable binding of a Response."""
    assert answer is not None
    message = ber.decode_message(answer)
    assert (message.pdu_type, message.error_status, message.error_index) == (ber.RESPONSE, 0, 0)
    return [(".".join(map(str, oid)), value.kind.value) for oid, value in message.varbinds]


def tlv(tag: int, body: bytes) -> bytes:
    length = len(body)
    if length < 0x80:
        return bytes((tag, length)) + body
    size = (length.bit_length() + 7) // 8
    return bytes((tag, 0x80 | size)) + length.to_bytes(size, "big") + body


def hand_made(
    value: bytes = b"\x05\x00",
    *,
    pdu_type: int = ber.GET,
    request_id: bytes = b"\x10",
    name: bytes = tlv(0x06, ber.encode_oid(SYS_DESCR_0)),
    fields: bytes = b"\x02\x01\x00\x02\x01\x00",
) -> bytes:
    """A v2c request of one variable binding, written octet by octet (``fields``:
    error-status and error-index, or non-repeaters and max-repetitions)."""
    varbind = tlv(0x30, name + value)
    pdu = tlv(pdu_type, tlv(0x02, request_id) + fields + tlv(0x30, varbind))
    return tlv(0x30, b"\x02\x01\x01" + tlv(0x04, COMMUNITY.encode()) + pdu)


# --- GET ----------------------------------------------------------------------------------


async def test_get_answers_values_no_such_instance_and_no_such_object_alike(pair: Pair) -> None:
    missing_row = (*BgpPathEntry.MED, 10, 9, 9, 0, 24, 198, 51, 100, 1)
    answer = await both(
        pair, request(ber.GET, [SYS_DESCR_0, missing_row, (1, 3, 6, 1, 2, 1, 1, 4, 0), (1, 3)])
    )
    assert [kind for _, kind in varbinds(answer)] == [
        "OctetString",
        "noSuchInstance",
        "noSuchObject",
        "noSuchObject",
    ]


async def test_get_of_every_row_of_a_core_answers_alike(pair: Pair) -> None:
    rows = list(render(pair.model, "core-mpls").oids)
    for start in range(0, len(rows), 40):
        await both(pair, request(ber.GET, rows[start : start + 40]), router="core-mpls")


async def test_a_get_of_no_names_is_an_empty_response(pair: Pair) -> None:
    assert varbinds(await both(pair, request(ber.GET, []))) == []


# --- GETNEXT ------------------------------------------------------------------------------


async def test_getnext_walks_the_whole_view_alike_and_ends_in_end_of_mib_view(pair: Pair) -> None:
    oid: Oid = (1, 3)
    rows = 0
    while True:
        answer = await both(pair, request(ber.GET_NEXT, [oid]))
        ((name, kind),) = varbinds(answer)
        if kind == "endOfMibView":
            assert name == ".".join(map(str, oid)), "the name asked comes back"
            break
        oid = tuple(int(part) for part in name.split("."))
        rows += 1
    assert rows == len(render(pair.model, "site-001"))


# --- GETBULK ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("non_repeaters", "max_repetitions", "names", "expected"),
    [
        (0, 10, [IfEntry.OPER_STATUS], 10),  # a column of 3 rows, then into ifInOctets
        (0, 0, [MIB_2], 0),  # no repetitions: an empty Response
        (0, 5, [], 0),  # no names: an empty Response
        (1, 0, [SYS_DESCR_0, MIB_2], 1),  # only the non-repeater
        (5, 3, [SYS_DESCR_0, MIB_2], 2),  # more non-repeaters than names: all are
        (2, 7, [SYS_DESCR_0, (*SYS_UP_TIME, 0), *PATH_COLUMNS], 2 + 4 * 7),
        (0, 100, [MIB_2], 64),  # repetitions capped at 64 // R
        (0, 100, PATH_COLUMNS, 64),  # 16 repetitions of 4
        (0, 1000, [MIB_2] * 3, 63),  # 21 repetitions of 3
        (0, 5, [MIB_2] * 65, 0),  # R > 64: no repetition at all
        (2**31 - 1, 2**31 - 1, [MIB_2], 1),  # RFC 3416's max-bindings
    ],
)
async def test_getbulk_counts_non_repeaters_and_repetitions_alike(
    pair: Pair, non_repeaters: int, max_repetitions: int, names: list[Oid], expected: int
) -> None:
    data = request(
        ber.GET_BULK, names, non_repeaters=non_repeaters, max_repetitions=max_repetitions
    )
    assert len(varbinds(await both(pair, data))) == expected


async def test_getbulk_pads_columns_past_the_end_with_end_of_mib_view_under_their_last_name(
    pair: Pair,
) -> None:
    view = render(pair.model, "site-001")
    last, before_last = view.oids[-1], view.oids[-2]
    beyond = (1, 3, 6, 1, 2, 1, 99)
    data = request(ber.GET_BULK, [before_last, beyond], max_repetitions=4)
    dotted = [".".join(map(str, oid)) for oid in (last, beyond)]
    assert varbinds(await both(pair, data)) == [
        (dotted[0], view.values[-1].kind.value),
        (dotted[1], "endOfMibView"),
        *[(dotted[0], "endOfMibView"), (dotted[1], "endOfMibView")] * 3,
    ]


async def test_a_response_too_big_for_a_datagram_is_dropped_by_both(pair: Pair) -> None:
    # 1,200 sysDescr.0 fill about 83,000 octets: more than UDP's 65,507. pysnmp
    # drops such a response rather than answer tooBig, and so does the fast path.
    assert await both(pair, request(ber.GET, [SYS_DESCR_0] * 1200)) is None
    # Just below the limit, the same request is answered.
    assert len(varbinds(await both(pair, request(ber.GET, [SYS_DESCR_0] * 900)))) == 900


# --- what gets no answer ------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(request(ber.GET, [SYS_DESCR_0], community="public"), id="wrong community"),
        pytest.param(request(ber.GET, [SYS_DESCR_0])[:-3], id="truncated"),
        pytest.param(request(ber.GET, [SYS_DESCR_0]) + b"\x00\x00", id="octets after"),
        pytest.param(hand_made(pdu_type=0xA3), id="SET"),
        pytest.param(hand_made(pdu_type=ber.RESPONSE), id="Response"),
        pytest.param(hand_made(pdu_type=0xA6), id="InformRequest"),
        pytest.param(bytes.fromhex("3003020100"), id="no community"),
        # By hand: sprmon's encoder refuses to write these.
        pytest.param(
            hand_made(
                pdu_type=ber.GET_BULK,
                name=tlv(0x06, ber.encode_oid(MIB_2)),
                fields=b"\x02\x01\xff\x02\x01\x03",
            ),
            id="negative non-repeaters",
        ),
        pytest.param(
            hand_made(
                pdu_type=ber.GET_BULK,
                name=tlv(0x06, ber.encode_oid(MIB_2)),
                fields=b"\x02\x01\x00\x02\x01\xfd",
            ),
            id="negative max-repetitions",
        ),
        pytest.param(
            hand_made(name=bytes.fromhex("0609802b0601020101010100")),
            id="OID arc with a leading 0x80",
        ),
        pytest.param(hand_made(bytes.fromhex("400100")), id="IpAddress of 1 octet as a value"),
        pytest.param(hand_made(bytes.fromhex("02050100000000")), id="Integer32 out of range"),
        pytest.param(hand_made(bytes.fromhex("0501ff")), id="NULL with content"),
        pytest.param(hand_made(bytes.fromhex("4a00")), id="unknown value type"),
        pytest.param(hand_made(request_id=b"\x01\x00\x00\x00\x00"), id="request-id > 2^31-1"),
    ],
)
async def test_what_pysnmp_does_not_answer_the_fast_path_does_not_answer(
    pair: Pair, data: bytes
) -> None:
    assert await both(pair, data) is None


async def test_snmpv1_and_snmpv3_requests_get_no_answer(pair: Pair, tmp_path: Path) -> None:
    v1 = bytearray(request(ber.GET, [SYS_DESCR_0]))
    v1[4] = 0  # version 1 is 0 on the wire
    assert await both(pair, bytes(v1)) is None
    for port in (pair.native["site-001"], pair.pysnmp["site-001"]):
        got = await net_snmp(
            "snmpget", "-v3", "-l", "noAuthNoPriv", "-u", "x", "-t", "0.3", "-r", "0",
            f"127.0.0.1:{port}", ".1.3.6.1.2.1.1.1.0", workdir=tmp_path,
        )  # fmt: skip
        assert "Timeout" in got.stderr


async def test_values_and_odd_encodings_in_requests_are_read_alike(pair: Pair) -> None:
    plain = varbinds(await both(pair, hand_made()))
    # A value other than NULL in a GET is ignored.
    for value in ("020107", "410500ffffffff", "4004c0000201", "040141", "8200"):
        assert varbinds(await both(pair, hand_made(bytes.fromhex(value)))) == plain
    # An empty INTEGER reads as 0.
    answer = await both(pair, hand_made(request_id=b""))
    assert answer is not None and ber.decode_message(answer).request_id == 0
    # A long-form length need not be minimal.
    get = hand_made()
    long_length = b"\x30\x81" + bytes((len(get) - 2,)) + get[2:]
    assert varbinds(await both(pair, long_length)) == plain


# --- any well-formed request --------------------------------------------------------------


def _shifted(oid: Oid) -> st.SearchStrategy[Oid]:
    return st.integers(-1, 1).map(lambda d: (*oid[:-1], max(oid[-1] + d, 0)))


def _near(view_oids: Sequence[Oid]) -> st.SearchStrategy[Oid]:
    """Names in, between, before, after and around the rows of a view."""
    rows = st.sampled_from(list(view_oids))
    return st.one_of(
        rows,
        rows.flatmap(lambda oid: st.integers(2, len(oid)).map(lambda n: oid[:n])),
        rows.flatmap(_shifted),
        rows.map(lambda oid: (*oid, 0)),
        st.lists(st.integers(0, 2**32 - 1), max_size=12).map(lambda tail: (1, 3, *tail)),
        st.sampled_from([(0, 0), (1, 3, 6, 1, 2, 1, 99), (2, 999), MIB_2, BGP]),
    )


SITE_OIDS = render(WanModel(sites=3, seed=7, start=T0), "site-002").oids


@st.composite
def requests(draw: st.DrawFn) -> tuple[bytes, int]:
    """A well-formed GET, GETNEXT or GETBULK near the rows of site-002, and its request-id."""
    request_id = draw(st.integers(-(2**31), 2**31 - 8))
    data = request(
        draw(st.sampled_from([ber.GET, ber.GET_NEXT, ber.GET_BULK])),
        draw(st.lists(_near(SITE_OIDS), max_size=8)),
        non_repeaters=draw(st.integers(0, 10)),
        max_repetitions=draw(st.one_of(st.integers(0, 30), st.integers(0, 2**31 - 1))),
        request_id=request_id,
    )
    return data, request_id


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(requests())
async def test_any_well_formed_request_gets_the_same_octets_from_both(
    pair: Pair, case: tuple[bytes, int]
) -> None:
    data, request_id = case
    answer = await both(pair, data, router="site-002")
    assert answer is not None, "a well-formed request this small is always answered"
    assert ber.decode_message(answer).request_id == request_id


# --- Net-SNMP's tools ---------------------------------------------------------------------


@pytest.mark.parametrize("repetitions", ["1", "7", "25", "200"])
async def test_snmpbulkwalk_reads_the_same_from_both(
    pair: Pair, tmp_path: Path, repetitions: str
) -> None:
    outputs = []
    for ports in (pair.native, pair.pysnmp):
        walked = await net_snmp(
            "snmpbulkwalk", "-v2c", "-c", COMMUNITY, f"-Cr{repetitions}", "-On", "-Oe", "-Ox",
            f"127.0.0.1:{ports['core-inet']}", ".1.3.6.1.2.1", workdir=tmp_path,
        )  # fmt: skip
        assert walked.returncode == 0, walked.stderr
        outputs.append(walked)
    assert outputs[0].stdout == outputs[1].stdout
    assert len(outputs[0].rows()) == len(render(pair.model, "core-inet"))


async def test_snmpbulkget_with_non_repeaters_reads_the_same_from_both(
    pair: Pair, tmp_path: Path
) -> None:
    outputs = []
    for ports in (pair.native, pair.pysnmp):
        got = await net_snmp(
            "snmpbulkget", "-v2c", "-c", COMMUNITY, "-Cn2", "-Cr9", "-On",
            f"127.0.0.1:{ports['site-003']}", ".1.3.6.1.2.1.1.1.0", ".1.3.6.1.2.1.1.3",
            ".1.3.6.1.2.1.2.2.1.8", ".1.3.6.1.2.1.15.6.1.13", workdir=tmp_path,
        )  # fmt: skip
        assert got.returncode == 0, got.stderr
        outputs.append(got.stdout)
    assert outputs[0] == outputs[1]
    assert outputs[0].count("\n") == 2 + 2 * 9


# --- scale --------------------------------------------------------------------------------


@pytest.mark.slow
async def test_a_thousand_sites_answer_the_collector_polling_64_at_once(tmp_path: Path) -> None:
    async with run_lab(
        sites=1000, intent_path=tmp_path / "intent.yaml", tick=3600, control=False
    ) as lab:
        assert lab.intent_path is not None
        loaded = load_config(lab.intent_path)
        intent = loaded.intent
        prefixes = [prefix for app in intent.applications for prefix in app.prefixes]
        async with SnmpPoller(max_concurrency=64) as poller:
            snapshot = await poller.poll(snmp_sites(intent.sites, loaded.inventory), prefixes)
        assert len(snapshot.observations) == 1000
        sites = {site.name: site for site in intent.sites}
        for observation in snapshot.observations:
            assert observation.error is None, observation.error
            expected = lab.model.observation(observation.site, ipv4_only=True)
            assert set(observation.paths or ()) == set(expected.paths or ())
            # A poll reads the rows of the interfaces the site's links name.
            named = {link.interface_name for link in sites[observation.site].links}
            assert len(observation.interfaces or ()) == len(named)
            assert [i.in_octets for i in observation.interfaces or ()] == [
                i.in_octets for i in expected.interfaces or () if i.name in named
            ]
