"""bench/bench_daemon.py still runs: a tiny fleet, a short cycle, snmp_exporter included.

The figures are not checked (the bench is for measuring, on a quiet machine);
that every part ran and printed its figures is.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.peer
def test_the_daemon_bench_measures_both_sides_on_a_tiny_lab() -> None:
    path = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": str(ROOT) + (os.pathsep + path if path else "")}
    command = [sys.executable, "bench/bench_daemon.py", "--sites", "5", "--interval", "1",
               "--cycles", "1", "--scrapes", "2"]  # fmt: skip
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert out.startswith("machine: ")
    assert re.search(r"sites with sprmon_target_up 1 at the end: \d+ of 5", out), out
    assert re.search(r"/metrics: 2 scrapes, median \d+ ms wall", out), out
    assert re.search(r"snmp_exporter .*\n  cycle 1: 5 scrapes in [\d.]+ s\b", out), out
    assert re.search(r"ratio sprmon / snmp_exporter, CPU per site-cycle: [\d.]+", out), out
    # The lab told the two sides' requests apart by their source addresses.
    for side in ("poll", "scrape"):
        found = re.search(rf"per site-cycle \({side}\): [\d.]+ ms CPU, ([\d.]+) requests", out)
        assert found is not None, out
        assert float(found.group(1)) > 0, out
