"""The compiled-intent cache: reused only while compiling again would give the same result."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from sprmon.intentfile import IntentFileError, LoadedIntent, load_config
from sprmon.intentfile import cache as cache_module
from sprmon.intentfile.cache import cache_folder, load_config_cached
from sprmon.intentfile.csvsource import MAX_CSV_BYTES
from sprmon.intentfile.loader import MAX_INTENT_BYTES
from tests.intentfile.intentfile_helpers import BASE, SITE1, edit, write

ROOT = Path(__file__).resolve().parents[2]

SECRET_V2C = "snmp: {version: 2c, community: {env: SPRMON_SNMP_COMMUNITY}}"
SECRET_FILE_V2C = "snmp: {version: 2c, community: {file: secrets/community}}"


class CountingCompiler:
    """Stands in for the compiler to count the misses (and still compiles)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, path: Path) -> LoadedIntent:
        self.calls += 1
        return load_config(path)


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> CountingCompiler:
    counter = CountingCompiler()
    monkeypatch.setattr(cache_module, "_compile", counter)
    return counter


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.intent"))


def test_a_second_load_of_an_unchanged_intent_is_not_compiled(
    tmp_path: Path, folder: Path, compiles: CountingCompiler
) -> None:
    path = write(tmp_path, BASE)

    first = load_config_cached(path, folder)
    second = load_config_cached(path, folder)

    assert compiles.calls == 1
    assert second == first == load_config(path)
    assert second.inventory == first.inventory
    assert [site.name for site in second.intent.sites] == ["branch-01", "branch-02"]


def test_a_changed_intent_is_compiled_again(
    tmp_path: Path, folder: Path, compiles: CountingCompiler
) -> None:
    path = write(tmp_path, BASE)
    load_config_cached(path, folder)

    write(tmp_path, edit("{med: 100}", "{med: 200}"))
    loaded = load_config_cached(path, folder)

    assert compiles.calls == 2
    assert loaded == load_config(path)
    assert len(entries(folder)) == 1


def test_a_changed_sites_csv_is_compiled_again(
    tmp_path: Path, folder: Path, compiles: CountingCompiler
) -> None:
    text = edit("sites:\n" + SITE1 + "\n", "sites_csv: sites.csv\nsites:\n" + SITE1 + "\n")
    header = "name,address,snmp.port,links.mpls.neighbors\n"
    path = write(tmp_path, text, csv=header + "csv-01,127.0.0.1,16103,198.51.100.9\n")
    before = load_config_cached(path, folder)

    (tmp_path / "sites.csv").write_text(header + "csv-02,127.0.0.1,16104,198.51.100.13\n")
    after = load_config_cached(path, folder)

    assert compiles.calls == 2
    assert "csv-01" in [site.name for site in before.intent.sites]
    assert "csv-02" in [site.name for site in after.intent.sites]
    assert "csv-01" not in [site.name for site in after.intent.sites]


def test_an_invalid_intent_is_never_stored_and_reports_the_compilers_own_problems(
    tmp_path: Path, folder: Path, compiles: CountingCompiler
) -> None:
    path = write(tmp_path, edit("{med: 100}", "{med: lots}"))

    for _ in range(2):
        with pytest.raises(IntentFileError) as info:
            load_config_cached(path, folder)
        assert "marking.mpls.med" in str(info.value.problems[0])

    assert compiles.calls == 2
    assert entries(folder) == []


def test_a_secret_file_that_leaves_the_policy_is_refused_with_its_line_even_when_cached(
    tmp_path: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SPRMON_SECRETS_DIR", raising=False)
    intent_dir = tmp_path / "intent"
    (intent_dir / "secrets").mkdir(parents=True)
    inside = tmp_path / "kept" / "community"
    inside.parent.mkdir()
    inside.write_text("public\n")
    (intent_dir / "secrets" / "community").write_text("public\n")
    path = write(intent_dir, edit(SECRET_V2C, SECRET_FILE_V2C))
    load_config_cached(path, folder)

    # The secret is now a link out of the intent's folder: compiling refuses it,
    # and so must the cache.
    (intent_dir / "secrets" / "community").unlink()
    (intent_dir / "secrets" / "community").symlink_to(inside)
    with pytest.raises(IntentFileError) as info:
        load_config_cached(path, folder)

    assert "credentials.lab.snmp.community.file" in str(info.value.problems[0])
    assert "is outside the intent file's folder" in str(info.value.problems[0])

    # Named in SPRMON_SECRETS_DIR, the same folder is allowed again.
    monkeypatch.setenv("SPRMON_SECRETS_DIR", str(inside.parent))
    assert load_config_cached(path, folder) == load_config(path)


def test_an_entry_made_by_other_code_is_not_used(
    tmp_path: Path, folder: Path, compiles: CountingCompiler, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, BASE)
    load_config_cached(path, folder)

    monkeypatch.setattr(cache_module, "_code_fingerprint", lambda: "another sprmon")
    load_config_cached(path, folder)
    load_config_cached(path, folder)

    assert compiles.calls == 2
    assert len(entries(folder)) == 1


def test_the_same_file_named_from_another_folder_has_an_entry_of_its_own(
    tmp_path: Path, folder: Path, compiles: CountingCompiler, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, BASE)
    monkeypatch.chdir(tmp_path)
    load_config_cached(Path("intent.yaml"), folder)
    load_config_cached(tmp_path / "intent.yaml", folder)
    load_config_cached(Path("intent.yaml"), folder)

    assert compiles.calls == 2
    assert len(entries(folder)) == 2


@pytest.mark.parametrize(
    "damage",
    [b"", b"not a pickle", b"\x80\x05K\x01.", b"\x80\x05}\x94.garbage"],
    ids=["empty", "text", "an int", "a dict then garbage"],
)
def test_a_damaged_entry_is_compiled_again_and_replaced(
    tmp_path: Path, folder: Path, compiles: CountingCompiler, damage: bytes
) -> None:
    path = write(tmp_path, BASE)
    load_config_cached(path, folder)
    (entry,) = entries(folder)
    entry.write_bytes(damage)

    assert load_config_cached(path, folder) == load_config(path)
    assert load_config_cached(path, folder) == load_config(path)
    assert compiles.calls == 2
    assert entry.read_bytes() != damage


def test_an_entry_others_could_have_written_is_ignored(
    tmp_path: Path, folder: Path, compiles: CountingCompiler
) -> None:
    path = write(tmp_path, BASE)
    load_config_cached(path, folder)
    (entry,) = entries(folder)
    entry.chmod(0o666)

    load_config_cached(path, folder)

    assert compiles.calls == 2
    # Rewritten by this user, private again: the next load uses it.
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    load_config_cached(path, folder)
    assert compiles.calls == 2


def test_a_folder_others_may_write_is_not_trusted_and_says_how_to_fix_it(
    tmp_path: Path, folder: Path, compiles: CountingCompiler, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path, BASE)
    load_config_cached(path, folder)
    folder.chmod(0o777)

    load_config_cached(path, folder)
    load_config_cached(path, folder)

    assert compiles.calls == 3
    warning = caplog.records[-1].getMessage()
    assert "is not this user's alone (chmod go-w, or name another folder in SPRMON_CACHE_DIR)" in (
        warning
    )


def test_a_cache_folder_reached_through_a_link_is_used(
    tmp_path: Path, compiles: CountingCompiler
) -> None:
    path = write(tmp_path, BASE)
    real = tmp_path / "real-cache"
    real.mkdir(mode=0o700)
    (tmp_path / "linked-cache").symlink_to(real)

    for _ in range(3):
        load_config_cached(path, tmp_path / "linked-cache")

    assert compiles.calls == 1
    assert len(entries(real)) == 1


def test_entries_are_private_to_the_user(tmp_path: Path, folder: Path) -> None:
    path = write(tmp_path, BASE)
    load_config_cached(path, folder)

    (entry,) = entries(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert [p.name for p in folder.iterdir()] == [entry.name]  # no temporary file left


def test_a_cache_folder_that_cannot_be_made_costs_only_the_cache(
    tmp_path: Path, compiles: CountingCompiler
) -> None:
    path = write(tmp_path, BASE)
    blocker = tmp_path / "a-file"
    blocker.write_text("")

    for _ in range(2):
        assert load_config_cached(path, blocker / "cache") == load_config(path)
    assert compiles.calls == 2


def test_no_folder_means_no_cache(tmp_path: Path, compiles: CountingCompiler) -> None:
    path = write(tmp_path, BASE)

    load_config_cached(path, None)
    load_config_cached(path, None)

    assert compiles.calls == 2


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"SPRMON_CACHE_DIR": "/c", "XDG_CACHE_HOME": "/x", "HOME": "/h"}, Path("/c")),
        ({"XDG_CACHE_HOME": "/x", "HOME": "/h"}, Path("/x/sprmon")),
        ({"HOME": "/h"}, Path("/h/.cache/sprmon")),
        ({"SPRMON_CACHE_DIR": "", "HOME": "/h"}, Path("/h/.cache/sprmon")),
        ({}, None),
        ({"SPRMON_NO_CACHE": "1", "SPRMON_CACHE_DIR": "/c"}, None),
        ({"SPRMON_NO_CACHE": "0", "SPRMON_CACHE_DIR": "/c"}, Path("/c")),
    ],
)
def test_where_the_cache_is(environ: dict[str, str], expected: Path | None) -> None:
    assert cache_folder(environ) == expected


@pytest.mark.parametrize("example", ["scenario", "large"])
def test_every_example_loads_from_the_cache_as_it_compiles(folder: Path, example: str) -> None:
    path = ROOT / "examples" / example / "intent.yaml"

    load_config_cached(path, folder)
    cached = load_config_cached(path, folder)

    fresh = load_config(path)
    assert cached == fresh
    assert cached.inventory == fresh.inventory
    assert cached.mqtt == fresh.mqtt


def test_every_file_an_intent_may_be_compiled_from_can_be_compared_again() -> None:
    # The cache keeps its own copy of the limit (csvsource imports pydantic): a larger
    # sites_csv allowed there would be a miss on every run here.
    assert max(MAX_CSV_BYTES, MAX_INTENT_BYTES) <= cache_module._MAX_SOURCE_BYTES
