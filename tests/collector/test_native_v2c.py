"""The native SNMPv2c session encodes each distinct request once and patches its request-id."""

from __future__ import annotations

import pytest

from sprmon.collector import ber
from sprmon.collector.native_v2c import _MAX_REQUEST_ID, _MIN_REQUEST_ID, _Templates
from sprmon.smi import Oid

COMMUNITY = b"lab-secret"
OIDS: tuple[Oid, ...] = ((1, 3, 6, 1, 2, 1, 1, 3), (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 300))


@pytest.mark.parametrize("request_id", [_MIN_REQUEST_ID, 0x12345678, _MAX_REQUEST_ID])
@pytest.mark.parametrize(
    ("pdu_type", "non_repeaters", "max_repetitions"),
    [(ber.GET, 0, 0), (ber.GET_NEXT, 0, 0), (ber.GET_BULK, 1, 25)],
)
def test_a_request_from_its_template_is_the_encoders_own_bytes(
    request_id: int, pdu_type: int, non_repeaters: int, max_repetitions: int
) -> None:
    templates = _Templates(COMMUNITY)
    # The first call fills the template, the second uses it.
    for _ in range(2):
        sent = templates.encode(pdu_type, OIDS, non_repeaters, max_repetitions, request_id)
        assert sent == ber.encode_request(
            community=COMMUNITY,
            pdu_type=pdu_type,
            request_id=request_id,
            oids=OIDS,
            non_repeaters=non_repeaters,
            max_repetitions=max_repetitions,
        )
        assert ber.decode_message(sent).request_id == request_id


def test_requests_that_differ_get_templates_of_their_own() -> None:
    templates = _Templates(COMMUNITY)
    bulk = templates.encode(ber.GET_BULK, OIDS, 0, 10, _MIN_REQUEST_ID)
    fewer = templates.encode(ber.GET_BULK, OIDS, 0, 11, _MIN_REQUEST_ID)
    one = templates.encode(ber.GET_BULK, OIDS[:1], 0, 10, _MIN_REQUEST_ID)
    assert len({bulk, fewer, one}) == 3
    assert ber.decode_message(fewer).error_index == 11
    assert [oid for oid, _ in ber.decode_message(one).varbinds] == [OIDS[0]]


def test_a_request_the_encoder_refuses_is_refused_from_the_cache_too() -> None:
    templates = _Templates(COMMUNITY)
    with pytest.raises(ber.BerError):
        templates.encode(ber.GET, [[1, 3, 6]], 0, 0, _MIN_REQUEST_ID)  # type: ignore[list-item]
    with pytest.raises(ber.BerError):
        templates.encode(ber.GET, ((1, 3, -6),), 0, 0, _MIN_REQUEST_ID)
