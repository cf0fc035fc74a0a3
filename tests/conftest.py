"""Suite-wide rules.

Compiled intents are cached in a folder of the run's own (``SPRMON_CACHE_DIR``),
never in the home of whoever runs the suite; every command a test runs, in
process or as a child, uses it as a user's runs would use theirs.

Tests marked ``root`` build network namespaces or start Debian daemons as root.
For a contributor without root they fail at once with one line that says so,
instead of an obscure permission error deep inside a fixture; deselect them
with ``pytest -m "not root"``. ``.ci/run`` runs as root and runs them all.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

NEEDS_ROOT = (
    "needs root (network namespaces, daemons started as root): run the suite as root, "
    "as .ci/run does, or deselect these tests with: pytest -m 'not root'"
)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("root") is not None and os.geteuid() != 0:
        pytest.fail(NEEDS_ROOT, pytrace=False)


_CACHE_ENV = "SPRMON_CACHE_DIR"


def pytest_configure(config: pytest.Config) -> None:
    os.environ[_CACHE_ENV] = tempfile.mkdtemp(prefix="sprmon-test-cache-")


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = os.environ.pop(_CACHE_ENV, None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
