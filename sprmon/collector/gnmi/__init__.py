"""The gNMI collector: OpenConfig state over gRPC into the same observations as SNMP.

- :mod:`~sprmon.collector.gnmi.paths`: the OpenConfig paths sprmon subscribes to, and where a
  received path belongs (pure);
- :mod:`~sprmon.collector.gnmi.values`: gNMI TypedValues and JSON_IETF into Python values (pure);
- :mod:`~sprmon.collector.gnmi.records`: the store's records, and how each leaf decodes (pure);
- :mod:`~sprmon.collector.gnmi.store`: one site's received state, kept up to date by
  notifications, bounded (pure); :mod:`~sprmon.collector.gnmi.deletes`: its DELETEs (pure);
- :mod:`~sprmon.collector.gnmi.observe`: that state as a :class:`~sprmon.core.observed.
  SiteObservation` (pure);
- :mod:`~sprmon.collector.gnmi.badinput`: what a target sent that sprmon could not use,
  counted and logged once per kind;
- :mod:`~sprmon.collector.gnmi.client`: one target's ``grpc.aio`` channel (TLS, credentials)
  and its errors;
- :mod:`~sprmon.collector.gnmi.poller`: Subscribe ONCE for ``sprmon check``;
- :mod:`~sprmon.collector.gnmi.stream`: STREAM subscriptions kept alive for ``sprmon run``
  (reconnect with backoff, full resync, the current observation of each site);
- :mod:`~sprmon.collector.gnmi.plan`: which protocol reads which part of a site, and the merge
  of the two observations.

The pure modules need pygnmi's protobufs only as message classes; grpc is imported by
``client`` and the modules that use it. See docs/gnmi-collector.md.
"""
