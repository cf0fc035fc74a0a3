"""Collectors: poll routers (SNMP, gNMI) and return core observations."""
