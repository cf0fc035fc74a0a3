"""Real protocol peers for tests and benchmarks: Net-SNMP's snmpd, a
deliberately broken SNMP agent, network namespaces. Each is an async context
manager that stops what it started, by pid, even when the body fails."""
