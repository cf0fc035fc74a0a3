"""Moved to :mod:`sprmon.realpeers.snmpd`; this alias keeps two tests/collector files' imports.

tests/collector/test_snmpd.py and test_misbehaving_agents.py still import
``tests.peers.snmpd`` (they were being edited elsewhere when the harness
moved): switch them to ``sprmon.realpeers.snmpd`` and delete this file.
"""

from sprmon.realpeers.snmpd import V3User, free_udp_port, run_snmpd

__all__ = ["V3User", "free_udp_port", "run_snmpd"]
