"""The lab's sites as gNMI targets: OpenConfig leaves over gRPC (see docs/lab.md).

- :mod:`~sprmon.lab.gnmi.paths`: paths, typed values, matching, JSON_IETF subtrees (pure);
- :mod:`~sprmon.lab.gnmi.tree`: a router of the model as OpenConfig leaves (pure);
- :mod:`~sprmon.lab.gnmi.codec`: those as gNMI protobuf messages;
- :mod:`~sprmon.lab.gnmi.session`: one Subscribe RPC (ONCE, POLL, STREAM);
- :mod:`~sprmon.lab.gnmi.server`: the ``grpc.aio`` servers, one per site (:class:`GnmiPool`).

``paths`` and ``tree`` need only the standard library; the others need grpc
and pygnmi's gNMI stubs.
"""
