"""What a lab agent answers to a GET, GETNEXT or GETBULK: pure, from a rendered view.

The lab's agents were pysnmp agents first, and the native v2c agents must
answer exactly as those did (``tests/lab/test_v2c_fast_path.py`` compares the
two over real UDP). So this follows pysnmp's command responders (pysnmp
7.1, ``entity/rfc3413/cmdrsp.py``) over the lab's MIB instrumentation
(:mod:`sprmon.lab.pysnmp_agents`), step for step:

- GET: each name's value; inside an object the agent serves but without that
  row ``noSuchInstance``, elsewhere ``noSuchObject``.
- GETNEXT: each name's successor, or ``endOfMibView`` under the name asked.
- GETBULK (RFC 3416 4.2.3): N = min(non-repeaters, names) successors, then
  M repetitions of the other R names, each repetition continuing from the
  previous one's answer; M is at most 64 // R (pysnmp's 64 variable
  bindings), and a column past the end repeats ``endOfMibView`` under its
  last name. N + M x R may be 0: an empty Response (pysnmp needed a fix for
  that, see :mod:`sprmon.lab.pysnmp_agents`).
- A response longer than the largest UDP datagram is dropped, not answered
  with tooBig: pysnmp's agent does the same.
"""

from __future__ import annotations

import bisect

from sprmon.ber import GET, GET_NEXT
from sprmon.lab.mib import MibView, is_known_object
from sprmon.lab.v2c_codec import (
    MAX_MESSAGE_SIZE,
    Request,
    encode_response,
    encode_varbind,
    exception_varbind,
)
from sprmon.smi import Oid, ValueKind

#: pysnmp's ``BulkCommandResponder.max_varbinds``: repetitions are capped so
#: that M x R stays within it.
MAX_BULK_VARBINDS = 64


class EncodedView:
    """A :class:`MibView` whose rows are encoded as variable bindings once, on first use.

    A view lives for one tick of the model; the rows a walk asks for are
    encoded once however many requests read them.
    """

    __slots__ = ("_encoded", "view")

    def __init__(self, view: MibView) -> None:
        self.view = view
        self._encoded: list[bytes | None] = [None] * len(view)

    def row(self, index: int) -> bytes:
        encoded = self._encoded[index]
        if encoded is None:
            view = self.view
            encoded = self._encoded[index] = encode_varbind(view.oids[index], view.value_at(index))
        return encoded

    def get(self, oid: Oid) -> bytes:
        value = self.view.get(oid)
        if value is not None:
            return encode_varbind(oid, value)
        if is_known_object(oid):
            return exception_varbind(oid, ValueKind.NO_SUCH_INSTANCE)
        return exception_varbind(oid, ValueKind.NO_SUCH_OBJECT)

    def next(self, oid: Oid) -> bytes:
        index = bisect.bisect_right(self.view.oids, oid)
        if index == len(self._encoded):
            return exception_varbind(oid, ValueKind.END_OF_MIB_VIEW)
        return self.row(index)

    def column(self, oid: Oid, repetitions: int) -> list[bytes]:
        """``repetitions`` successive GETNEXTs from ``oid``, as GETBULK chains them."""
        oids = self.view.oids
        start = bisect.bisect_right(oids, oid)
        stop = min(start + repetitions, len(oids))
        found = [self.row(i) for i in range(start, stop)]
        if len(found) < repetitions:
            last = oids[stop - 1] if stop > start else oid
            found += [exception_varbind(last, ValueKind.END_OF_MIB_VIEW)] * (
                repetitions - len(found)
            )
        return found


def respond(request: Request, view: EncodedView) -> bytes | None:
    """The Response message to ``request``, or None if it would not fit in a datagram."""
    oids = request.oids
    if request.pdu_type == GET:
        varbinds = [view.get(oid) for oid in oids]
    elif request.pdu_type == GET_NEXT:
        varbinds = [view.next(oid) for oid in oids]
    else:
        varbinds = _bulk(request, view)
    message = encode_response(request, varbinds)
    return message if len(message) <= MAX_MESSAGE_SIZE else None


def _bulk(request: Request, view: EncodedView) -> list[bytes]:
    oids = request.oids
    non_repeaters = min(request.second, len(oids))
    repeaters = len(oids) - non_repeaters
    repetitions = request.third
    if repeaters:
        repetitions = min(repetitions, MAX_BULK_VARBINDS // repeaters)
    varbinds = [view.next(oid) for oid in oids[:non_repeaters]]
    if repetitions and repeaters:
        columns = [view.column(oid, repetitions) for oid in oids[non_repeaters:]]
        for repetition in zip(*columns, strict=True):
            varbinds.extend(repetition)
    return varbinds
