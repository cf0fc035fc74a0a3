"""Test-only peers: a deliberately broken SNMP agent (bad_agent), a pass_persist
BGP table for snmpd (bgp_pass) and site helpers (sites). The real peers the
tools use too (namespaces, snmpd, the FRR network) are in sprmon.realpeers."""
