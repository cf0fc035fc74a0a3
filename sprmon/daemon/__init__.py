"""``sprmon run``: the monitoring daemon (docs/daemon.md).

One module, one job:

- :mod:`~sprmon.daemon.collector` — the interface a collector implements (SNMP now, gNMI later);
- :mod:`~sprmon.daemon.snmp` — the SNMP collector behind it;
- :mod:`~sprmon.daemon.engine` — the per-site schedule, judging and publishing;
- :mod:`~sprmon.daemon.sites` — what is kept per site (calls into the pure core);
- :mod:`~sprmon.daemon.schedule` — intervals, jitter, backoff;
- :mod:`~sprmon.daemon.health` — target health and poll-duration histograms;
- :mod:`~sprmon.daemon.shard` — ``--shard INDEX/COUNT``;
- :mod:`~sprmon.daemon.reload` — SIGHUP;
- :mod:`~sprmon.daemon.logs` — one log line per state change, text or JSON;
- :mod:`~sprmon.daemon.runner` — all of it together, until SIGTERM.
"""
