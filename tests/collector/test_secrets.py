"""Resolving SecretRefs, and keeping the values out of everything printable."""

from __future__ import annotations

import logging
import pickle
from dataclasses import dataclass
from pathlib import Path

import pytest

from sprmon.inventory import SecretRef
from sprmon.secrets import Secret, SecretError, resolve_secret

VALUE = "hunter2-community"


def test_environment_variable_is_read() -> None:
    secret = resolve_secret(SecretRef(env="SPRMON_TEST_C"), environ={"SPRMON_TEST_C": VALUE})

    assert secret.reveal() == VALUE


def test_missing_environment_variable_is_named() -> None:
    with pytest.raises(SecretError, match=r"^environment variable SPRMON_TEST_C is not set$"):
        resolve_secret(SecretRef(env="SPRMON_TEST_C"), environ={})


def test_empty_environment_variable_is_an_error() -> None:
    with pytest.raises(SecretError, match="SPRMON_TEST_C is empty"):
        resolve_secret(SecretRef(env="SPRMON_TEST_C"), environ={"SPRMON_TEST_C": ""})


def test_process_environment_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPRMON_TEST_C", VALUE)

    assert resolve_secret(SecretRef(env="SPRMON_TEST_C")).reveal() == VALUE


def test_file_loses_one_trailing_line_break_only(tmp_path: Path) -> None:
    path = tmp_path / "community"
    path.write_text(f" {VALUE} \n\n")

    assert resolve_secret(SecretRef(file=str(path))).reveal() == f" {VALUE} \n"


def test_file_with_crlf_line_end(tmp_path: Path) -> None:
    path = tmp_path / "community"
    path.write_bytes(f"{VALUE}\r\n".encode())

    assert resolve_secret(SecretRef(file=str(path))).reveal() == VALUE


def test_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "nope"

    with pytest.raises(SecretError, match=f"^secret file {path} does not exist$"):
        resolve_secret(SecretRef(file=str(path)))


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty"
    path.write_text("\n")

    with pytest.raises(SecretError, match="is empty"):
        resolve_secret(SecretRef(file=str(path)))


def test_directory_instead_of_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SecretError, match="is a directory"):
        resolve_secret(SecretRef(file=str(tmp_path)))


def test_undecodable_file_error_does_not_quote_the_content(tmp_path: Path) -> None:
    path = tmp_path / "binary"
    path.write_bytes(b"\xff\xfe" + VALUE.encode())

    with pytest.raises(SecretError) as caught:
        resolve_secret(SecretRef(file=str(path)))

    assert "not UTF-8" in str(caught.value)
    assert VALUE not in str(caught.value)


@dataclass(frozen=True)
class _Holder:
    community: Secret


def test_secret_prints_as_a_placeholder_everywhere(caplog: pytest.LogCaptureFixture) -> None:
    secret = Secret(VALUE)
    holder = _Holder(secret)

    with caplog.at_level(logging.DEBUG):
        logging.getLogger("sprmon.test").warning("community %s / %r", secret, secret)
    printed = [
        repr(secret),
        str(secret),
        f"{secret}",
        f"{secret!r}",
        f"{secret:>30}",
        repr(holder),
        caplog.text,
    ]

    assert all(VALUE not in text for text in printed)
    assert str(secret) == "<secret>"
    assert "<secret>" in caplog.text


def test_secret_refuses_to_be_pickled() -> None:
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(Secret(VALUE))


def test_secrets_compare_by_value() -> None:
    assert Secret(VALUE) == Secret(VALUE)
    assert Secret(VALUE) != Secret("other")
    assert len({Secret(VALUE), Secret(VALUE)}) == 1
