"""Running the sprmon command in-process (click's runner) on the example scenario."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.cli.cli_support import Run, invoke


@pytest.fixture
def run() -> Run:
    return invoke


@pytest.fixture(autouse=True)
def _restore_sprmon_logger() -> Iterator[None]:
    """The CLI configures the process's "sprmon" logger; other tests must not inherit it."""
    logger = logging.getLogger("sprmon")
    saved = (logger.level, list(logger.handlers), logger.propagate)
    yield
    logger.setLevel(saved[0])
    logger.handlers[:] = saved[1]
    logger.propagate = saved[2]
