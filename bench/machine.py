"""What machine a benchmark ran on, printed at the top of every benchmark's output."""

from __future__ import annotations

import importlib.metadata
import os
import platform
from pathlib import Path


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace")
    except OSError:
        return platform.processor() or "unknown"
    for line in text.splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def describe_machine(*packages: str) -> str:
    """One line: OS, CPU, cores (and how many this process may use), Python, package versions."""
    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    versions = "".join(f"; {name} {importlib.metadata.version(name)}" for name in packages)
    return (
        f"machine: {platform.platform()}; CPU {cpu_model()}; {cores} cores ({usable} usable); "
        f"Python {platform.python_version()} ({platform.python_implementation()}){versions}"
    )
