"""sprmon: checks that every WAN site sends each application over its intended link."""

__version__ = "0.1.0"
