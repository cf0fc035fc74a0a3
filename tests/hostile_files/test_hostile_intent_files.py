"""Intent files (and the sites CSV they name) that are the wrong file, a device,
or far too large: each is one problem naming the file, found at once, and no
message copies what the file holds."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from sprmon.intentfile import IntentFileError, load_intent
from sprmon.intentfile.csvsource import MAX_CSV_ROWS
from sprmon.intentfile.loader import MAX_INTENT_BYTES
from sprmon.intentfile.yamlsource import MAX_VALUES
from tests.intentfile.intentfile_helpers import BASE, edit

SECRET = "Sup3rS3cretCommunity"


def _problems(path: Path) -> list[str]:
    with pytest.raises(IntentFileError) as caught:
        load_intent(path)
    return [str(problem) for problem in caught.value.problems]


def _write(folder: Path, text: str, name: str = "intent.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the wrong file --------------------------------------------------------------------------


def test_a_secret_file_given_as_the_intent_is_not_printed(tmp_path: Path) -> None:
    path = _write(tmp_path, SECRET + "\n", "community.secret")
    assert _problems(path) == [
        f"{path}:1: expected a mapping of sections (version, links, applications, sites, ...), "
        "got text"
    ]


def test_a_link_to_etc_passwd_given_as_the_intent_is_not_printed(tmp_path: Path) -> None:
    link = tmp_path / "intent.yaml"
    link.symlink_to("/etc/passwd")
    found = _problems(link)
    assert found == [
        f"{link}:1: expected a mapping of sections (version, links, applications, sites, ...), "
        "got text"
    ]


def test_a_secret_with_a_colon_shows_its_key_at_most_never_its_value(tmp_path: Path) -> None:
    path = _write(tmp_path, f"admin: {SECRET}\n", "password.secret")
    found = "\n".join(_problems(path))
    assert SECRET not in found


def test_a_long_value_is_quoted_as_a_short_excerpt(tmp_path: Path) -> None:
    text = edit("address: 127.0.0.1, snmp: {port: 16101}", f"address: {'A' * 10_000}") + ""
    found = [p for p in _problems(_write(tmp_path, text)) if ".address:" in p]
    assert found == [
        f"{tmp_path / 'intent.yaml'}:26: sites[branch-01].address: "
        "'AAAAAAAAAAAAAAAAAAAAAAAAAAAAA... (10,000 characters)' is not an IPv4 or IPv6 address"
    ]


def test_control_characters_in_a_quoted_value_are_escaped(tmp_path: Path) -> None:
    text = edit("address: 127.0.0.1, snmp: {port: 16101}", 'address: "\\e[2J\\e[Hok"')
    found = "\n".join(_problems(_write(tmp_path, text)))
    assert "\x1b" not in found
    assert "'\\x1b[2J\\x1b[Hok' is not an IPv4 or IPv6 address" in found


def test_a_long_key_is_named_by_an_excerpt(tmp_path: Path) -> None:
    found = _problems(_write(tmp_path, BASE + "k" * 1_000 + ": 1\n"))
    assert [p for p in found if "unknown key" in p] == [
        f"{tmp_path / 'intent.yaml'}:28: {'k' * 29}... (1,000 characters): unknown key "
        f"'{'k' * 29}... (1,000 characters)' (valid keys: version, links, applications, "
        "default_application, thresholds, credentials, site_defaults, groups, sites, sites_csv, "
        "monitor, mqtt)"
    ]


# --- not a regular file, or too large ------------------------------------------------------------


def test_a_named_pipe_as_the_intent_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "intent.yaml"
    os.mkfifo(fifo)
    assert _problems(fifo) == [f"{fifo}: the file is a named pipe (FIFO), not a regular file"]


def test_dev_zero_as_the_intent_is_refused_without_reading_it() -> None:
    assert _problems(Path("/dev/zero")) == [
        "/dev/zero: the file is a character device, not a regular file"
    ]


def test_an_intent_file_past_its_size_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    # Comments only: parsed, the file would be valid YAML but not an intent.
    text = BASE + "#" * MAX_INTENT_BYTES + "\n"
    path = _write(tmp_path, text)
    assert _problems(path) == [
        f"{path}: the file is larger than 2 MiB ({len(text):,} bytes): an intent file holds "
        f"at most {MAX_VALUES:,} values and needs far less; put a large fleet's sites in a "
        "sites_csv file"
    ]


@pytest.mark.slow
def test_a_document_past_the_value_limit_is_refused_before_the_rest_is_read(
    tmp_path: Path,
) -> None:
    # 1 MB of short scalars took 53 s and 578 MB to validate. Composing stops at
    # the limit: the syntax error after it is never reached.
    values = ",".join(["1"] * (MAX_VALUES + 10))
    path = _write(tmp_path, f"version: 1\nlinks: [{values}]\nsites: [unclosed\n")
    assert _problems(path) == [
        f"{path}: the document holds more than {MAX_VALUES:,} values: an intent file holds a "
        "fleet's policy; put a large fleet's sites in a sites_csv file"
    ]


def test_a_large_anchor_repeated_by_aliases_is_refused_while_composing(tmp_path: Path) -> None:
    # One 600 KB anchor aliased 8 times took 32 s and 362 MB before it was refused.
    anchor = ",".join(["1"] * (MAX_VALUES // 8))
    aliases = "\n".join(f"x{n}: *big" for n in range(9))
    text = f"version: 1\nlinks: &big [{anchor}]\n{aliases}\nsites: [unclosed\n"
    path = _write(tmp_path, text)
    assert _problems(path) == [
        f"{path}: the document expands to too many values (check anchors and aliases)"
    ]


# --- sites_csv ----------------------------------------------------------------------------------


def _with_csv(folder: Path, csv_name: str) -> Path:
    return _write(folder, BASE + f"sites_csv: {csv_name}\n")


def test_sites_csv_naming_dev_zero_says_what_it_is(tmp_path: Path) -> None:
    path = _with_csv(tmp_path, "/dev/zero")
    assert _problems(path) == [
        f"{path}:28: sites_csv: cannot read sites from /dev/zero: it is a character device, "
        "not a regular file"
    ]


def test_sites_csv_naming_a_named_pipe_is_refused_without_waiting(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "sites.csv")
    path = _with_csv(tmp_path, "sites.csv")
    assert _problems(path) == [
        f"{path}:28: sites_csv: cannot read sites from {tmp_path / 'sites.csv'}: it is a named "
        "pipe (FIFO), not a regular file"
    ]


def test_sites_csv_naming_a_secret_file_does_not_print_it(tmp_path: Path) -> None:
    (tmp_path / "community.secret").write_text(SECRET + "\n")
    found = _problems(_with_csv(tmp_path, "community.secret"))
    assert found == [
        f"{tmp_path / 'community.secret'}:1: no 'name' column: every site needs a name"
    ]


def test_sites_csv_past_its_row_limit_is_refused_at_the_first_row_too_many(
    tmp_path: Path,
) -> None:
    # 200,000 rows took 20 s and 455 MB; the file is now refused as it is read.
    rows = "".join(f"s{n}\n" for n in range(MAX_CSV_ROWS + 5))
    (tmp_path / "sites.csv").write_text("name\n" + rows)
    found = _problems(_with_csv(tmp_path, "sites.csv"))
    assert found == [
        f"{tmp_path / 'sites.csv'}:{MAX_CSV_ROWS + 2}: more than {MAX_CSV_ROWS:,} rows: sprmon "
        f"reads at most {MAX_CSV_ROWS:,} sites from one CSV file"
    ]


# --- durations --------------------------------------------------------------------------------

_DURATIONS = {
    "thresholds.stale_after": ("thresholds: {{stale_after: {value}}}", "1s..7d"),
    "site_defaults.snmp.timeout": ("", "1ms..1m"),
    "sites[branch-01].gnmi.timeout": ("", "1ms..5m"),
    "monitor.bgp_interval": ("monitor: {{bgp_interval: {value}}}", "100ms..1d"),
    "monitor.counter_interval": ("monitor: {{counter_interval: {value}}}", "100ms..1d"),
    "monitor.convergence_grace": ("monitor: {{convergence_grace: {value}}}", "more than 1h"),
    "mqtt.keepalive": ("mqtt: {{host: localhost, keepalive: {value}}}", "1s..65535s"),
    "mqtt.flush_timeout": ("mqtt: {{host: localhost, flush_timeout: {value}}}", "more than 5m"),
}


def _duration_intent(field: str, value: str) -> str:
    section, _ = _DURATIONS[field]
    if field == "site_defaults.snmp.timeout":
        return edit("snmp: {credentials: lab}", f"snmp: {{credentials: lab, timeout: {value}}}")
    if field == "sites[branch-01].gnmi.timeout":
        return edit("snmp: {port: 16101},", f"snmp: {{port: 16101}}, gnmi: {{timeout: {value}}},")
    return BASE + section.format(value=value) + "\n"


@pytest.mark.parametrize("field", list(_DURATIONS))
def test_a_vanishing_duration_is_refused_at_its_line(tmp_path: Path, field: str) -> None:
    found = _problems(_write(tmp_path, _duration_intent(field, "1e-300")))
    path = re.escape(str(tmp_path / "intent.yaml"))
    assert any(
        re.fullmatch(
            rf"{path}:\d+: {re.escape(field)}: a duration must be at least 1ms, got the "
            r"number 1e-300",
            problem,
        )
        for problem in found
    ), found


@pytest.mark.parametrize("field", list(_DURATIONS))
def test_an_endless_duration_is_refused_at_its_line_with_its_bounds(
    tmp_path: Path, field: str
) -> None:
    found = _problems(_write(tmp_path, _duration_intent(field, "1e308")))
    path = re.escape(str(tmp_path / "intent.yaml"))
    bounds = re.escape(_DURATIONS[field][1])
    assert any(
        re.fullmatch(rf"{path}:\d+: {re.escape(field)}: 1e\+308 s is .*{bounds}.*", problem)
        for problem in found
    ), found
