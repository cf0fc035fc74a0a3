"""Progress of a live poll on stderr: only for a person at a terminal.

A long audit (thousands of sites, two polls) must show that it moves, but a
monitoring system, a pipe or a CI log must get nothing on stderr but real
problems, and stdout must carry only the report. So the bar is drawn only
when stderr itself is a terminal, and it never touches stdout.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import IO, TYPE_CHECKING, Self

from sprmon.printable import printable

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

__all__ = ["PollProgress", "stderr_is_terminal"]


def stderr_is_terminal(stream: IO[str] | None = None) -> bool:
    """Whether ``stream`` (default: the current stderr) is a terminal.

    Asked of the stream, not of rich: rich treats ``FORCE_COLOR`` as "is a
    terminal", which would write redraw sequences into a log file.
    """
    stream = sys.stderr if stream is None else stream
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or stream-like object without a terminal
        return False


class PollProgress:
    """Sites done / total, failed sites and elapsed time of one or two polls.

    ``on_site_done`` has the poller's callback signature. The poller counts
    each poll from zero, so a poll is over when ``done == total``; the next
    call belongs to the next poll. Disabled, every method does nothing.

    ::

        with PollProgress(sites=len(polled), polls=2, interval_s=5, enabled=True) as progress:
            async with SnmpPoller(on_site_done=progress.on_site_done) as poller: ...
    """

    def __init__(self, *, sites: int, polls: int, interval_s: float, enabled: bool) -> None:
        self._sites = sites
        self._polls = polls
        self._interval_s = interval_s
        self._enabled = enabled and sites > 0
        self._poll = 1
        self._between_polls = False
        self._failed: set[str] = set()
        self._started = time.monotonic()
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> Self:
        self._started = time.monotonic()
        if not self._enabled:
            return self
        # rich only when a bar is drawn: a check from a monitoring system has no terminal.
        from rich.console import Console  # noqa: PLC0415
        from rich.progress import (  # noqa: PLC0415
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        console = Console(file=sys.stderr, highlight=False, markup=False, emoji=False)
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("sites"),
            TextColumn("{task.fields[failed]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            # Log lines (-v) go to stderr and are printed above the bar; the
            # report goes to stdout after the bar is gone, so stdout is left alone.
            redirect_stdout=False,
            redirect_stderr=True,
        )
        self._progress.start()
        self._task = self._progress.add_task(self._describe(), total=self._sites, failed="")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is None:
            return
        self._progress.stop()
        if exc_type is None:
            self._progress.console.print(self._summary())
        self._progress = None

    def on_site_done(self, site: str, ok: bool, done: int, total: int) -> None:
        if not ok:
            self._failed.add(site)
        if self._between_polls:
            self._between_polls = False
            self._poll += 1
        if done == total:
            self._between_polls = self._poll < self._polls
        if self._progress is None or self._task is None:
            return
        self._progress.update(
            self._task,
            completed=done,
            total=total,
            description=self._describe(),
            failed=f"{len(self._failed)} failed" if self._failed else "",
        )

    def _describe(self) -> str:
        if self._between_polls:
            return f"waiting for poll 2 (rates need two polls {self._interval_s:g} s apart)"
        if self._polls == 1:
            return "polling"
        return f"poll {self._poll} of {self._polls}"

    def _summary(self) -> str:
        elapsed = time.monotonic() - self._started
        polls = {1: "once", 2: "twice"}.get(self._polls, f"{self._polls} times")
        sites = f"{self._sites} site{'s' if self._sites != 1 else ''}"
        line = f"sprmon: polled {sites} {polls} in {elapsed:.1f} s"
        if self._failed:
            names = sorted(self._failed)
            shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
            line += f"; {len(names)} failed ({shown}): see the report"
        return printable(line)
