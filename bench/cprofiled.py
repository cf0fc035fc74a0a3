"""Run ``python -m sprmon ARGS`` with cProfile on a CPU-time clock, switched by signals.

    python bench/cprofiled.py OUT run --intent ...

SIGUSR1 starts profiling the main thread (``time.process_time``: CPU, not wall,
so the daemon's waits on the network do not count), SIGUSR2 stops it and
writes the statistics to OUT (``pstats``); ``bench_daemon.py --cprofile``
sends both around its measured cycles. Nothing in sprmon knows about it.
"""

from __future__ import annotations

import cProfile
import runpy
import signal
import sys
import time
from types import FrameType


def main() -> None:
    out, args = sys.argv[1], sys.argv[2:]
    profiler = cProfile.Profile(time.process_time)

    def start(signum: int, frame: FrameType | None) -> None:
        profiler.enable()

    def stop(signum: int, frame: FrameType | None) -> None:
        profiler.disable()
        profiler.dump_stats(out)

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    sys.argv = ["sprmon", *args]
    runpy.run_module("sprmon", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
