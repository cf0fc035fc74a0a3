"""MQTT topics and payloads: escaping, layout, JSON schema (pure, no broker)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sprmon.core.monitor import Subject
from sprmon.core.prefixes import Prefix
from sprmon.exporters.mqtt_topics import (
    TopicError,
    Topics,
    event_payload,
    level_to_name,
    level_to_prefix,
    name_to_level,
    prefix_to_level,
    publisher_payload,
    rfc3339,
    state_payload,
)
from tests.exporters.mqtt_support import AT, decode, link_change, path_change

FORBIDDEN_IN_A_LEVEL = ("/", "+", "#", "\x00")


@pytest.mark.parametrize(
    ("name", "level"),
    [
        ("branch-01", "branch-01"),
        ("Zürich Süd", "Zürich Süd"),
        ("a/b", "a%2Fb"),
        ("voice+video", "voice%2Bvideo"),
        ("#1", "%231"),
        ("100%", "100%25"),
        ("nul\x00here", "nul%00here"),
        ("tab\there", "tab%09here"),
        ("c1\x85", "c1%C2%85"),
        ("", ""),
    ],
)
def test_names_become_one_topic_level_with_separators_and_wildcards_escaped(
    name: str, level: str
) -> None:
    assert name_to_level(name) == level
    assert level_to_name(level) == name


@given(st.text())
def test_any_name_becomes_a_level_without_separator_or_wildcard_and_comes_back(
    name: str,
) -> None:
    level = name_to_level(name)
    assert not any(ch in level for ch in FORBIDDEN_IN_A_LEVEL)
    assert level_to_name(level) == name


@pytest.mark.parametrize(
    ("prefix", "level"),
    [
        ("10.0.21.0/24", "10.0.21.0_24"),
        ("0.0.0.0/0", "0.0.0.0_0"),
        ("2001:db8::/32", "2001:db8::_32"),
        ("::/0", "::_0"),
    ],
)
def test_prefixes_keep_their_text_with_the_slash_written_underscore(
    prefix: str, level: str
) -> None:
    assert prefix_to_level(Prefix(prefix)) == level
    assert level_to_prefix(level) == prefix


def test_path_and_link_topics_follow_the_documented_layout() -> None:
    topics = Topics("netops/sprmon")
    path = path_change("branch-01", "legacy", "2001:db8:21::/48")
    link = link_change("branch-01", "inet")
    assert topics.event(path) == "netops/sprmon/events/branch-01/path/legacy/2001:db8:21::_48"
    assert topics.state(path) == "netops/sprmon/state/branch-01/path/legacy/2001:db8:21::_48"
    assert topics.event(link) == "netops/sprmon/events/branch-01/link/inet"
    assert topics.state(link) == "netops/sprmon/state/branch-01/link/inet"
    assert topics.publisher("sprmon/shard+1") == "netops/sprmon/publisher/sprmon%2Fshard%2B1"


def test_odd_names_keep_the_number_of_topic_levels() -> None:
    topics = Topics("sprmon")
    change = path_change("a/b/c", "#/+", "10.0.0.0/8")
    assert topics.event(change).split("/") == [
        "sprmon",
        "events",
        "a%2Fb%2Fc",
        "path",
        "%23%2F%2B",
        "10.0.0.0_8",
    ]


def test_a_change_missing_its_subject_fields_is_refused() -> None:
    topics = Topics("sprmon")
    with pytest.raises(TopicError, match="path change at site 'branch-01' needs app and prefix"):
        topics.event(dataclasses.replace(path_change(), app=None))
    with pytest.raises(TopicError, match="link change at site 'branch-01' needs link"):
        topics.state(dataclasses.replace(link_change(), link=None))
    with pytest.raises(TopicError, match="longer than MQTT's 65535 bytes"):
        topics.event(path_change(site="x" * 70_000))


def test_times_are_utc_rfc3339_with_milliseconds() -> None:
    assert rfc3339(0) == "1970-01-01T00:00:00.000Z"
    assert rfc3339(AT) == "2026-11-30T00:53:20.250Z"


def test_an_event_payload_has_every_documented_key_even_when_empty() -> None:
    body = decode(event_payload(link_change(old=None, new="up"), seq=7, instance="i-1"))
    assert body == {
        "schema_version": 1,
        "instance": "i-1",
        "seq": 7,
        "time": "2026-11-30T00:53:20.250Z",
        "time_unix": AT,
        "site": "branch-01",
        "subject": Subject.LINK.value,
        "app": None,
        "prefix": None,
        "link": "mpls",
        "old_state": None,
        "new_state": "up",
        "explanation": "interface down; BGP session not established",
        "expected_link": None,
        "actual_links": [],
    }


def test_the_state_payload_is_the_present_and_empty_once_the_subject_left() -> None:
    body = decode(state_payload(path_change(new="failover"), seq=3, instance="i-1"))
    assert (body["state"], body["since"], body["seq"]) == (
        "failover",
        "2026-11-30T00:53:20.250Z",
        3,
    )
    assert "old_state" not in body
    assert state_payload(path_change(new=None), seq=4, instance="i-1") == b""


def test_payloads_are_compact_utf8_json() -> None:
    payload = event_payload(path_change(site="Zürich"), seq=1, instance="i")
    assert "Zürich".encode() in payload
    assert b": " not in payload
    assert decode(publisher_payload(online=False, instance="i")) == {
        "schema_version": 1,
        "status": "offline",
        "instance": "i",
    }
