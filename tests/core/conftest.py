"""Make ``tests.factories`` importable: pytest's default import mode puts only
the test folders on sys.path, not the repository root."""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
