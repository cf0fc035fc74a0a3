"""The suite's own rules (tests/conftest.py) hold for a contributor without root."""

from __future__ import annotations

from pathlib import Path

import pytest

CONFTEST = Path(__file__).with_name("conftest.py")
_INNER_OPTIONS = (
    "-p",
    "no:cacheprovider",
    "-o",
    "markers=root",
    "-o",
    "asyncio_default_fixture_loop_scope=function",
)


def test_a_root_test_fails_with_one_line_saying_so_for_a_user_without_root(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.root
        def test_builds_a_namespace():
            raise PermissionError("would fail obscurely deep inside a fixture")

        def test_plain():
            pass
        """
    )
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    result = pytester.runpytest_inprocess(*_INNER_OPTIONS)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*needs root*pytest -m 'not root'*"])
    result.stdout.no_fnmatch_line("*PermissionError*")


def test_a_root_test_runs_as_root(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.root
        def test_builds_a_namespace():
            pass
        """
    )
    monkeypatch.setattr("os.geteuid", lambda: 0)
    result = pytester.runpytest_inprocess(*_INNER_OPTIONS)
    result.assert_outcomes(passed=1)
