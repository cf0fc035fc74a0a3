"""Exporters: publish core findings (Prometheus, MQTT)."""
