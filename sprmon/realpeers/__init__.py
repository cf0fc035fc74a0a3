"""Real protocol peers on this machine, for the tests, the benchmarks and ``scripts/frr-wan``.

- :mod:`sprmon.realpeers.netns`: network namespaces and veth pairs (root only);
- :mod:`sprmon.realpeers.snmpd`: Net-SNMP's ``snmpd`` as a peer, its tools as the reference client;
- :mod:`sprmon.realpeers.frr`: the reference WAN built from FRRouting routers in namespaces.

Each resource is an async context manager that stops what it started, by pid,
even when the body fails. This is a harness, not part of the monitor: nothing
else in ``sprmon`` imports it (``tests/test_architecture.py`` enforces that),
so the CLI's start-up never pays for it. It lives in the package, not under
``tests/``, because tools a user runs import it too.
"""
