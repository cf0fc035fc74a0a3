"""Shared setup for the SNMP collector tests."""

from __future__ import annotations

import sys
from pathlib import Path

# tests/peers is shared with other test folders and bench/; it is imported as
# ``tests.peers`` from the repository root, which pytest's default import mode
# does not put on sys.path by itself.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
