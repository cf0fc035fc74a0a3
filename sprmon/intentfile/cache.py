"""Compiled intent files, kept between runs: a check run every minute compiles its intent once.

Compiling an intent file is most of a one-off ``sprmon check``'s start-up:
pydantic and ruamel.yaml are imported and the schema is built before the file
is even read (bench/README.md, start-up). A monitoring system runs the same
check with the same intent every minute, so ``check`` and ``diff`` keep what
they compiled and reuse it only while compiling again is certain to give the
same result:

- each file it was compiled from (the intent file, its ``sites_csv``) holds the
  same bytes now (SHA-256 of what is read now and of what was compiled);
- the intent file is named by the same path, from the same folder;
- sprmon's code is the same (size and mtime of each of its modules), and so are
  Python and the installed packages (the site-packages folders' mtimes);
- each secret file the intent names is still where the secret-file policy
  allows (links are followed again and ``SPRMON_SECRETS_DIR`` is read again).

Anything else is a miss: a changed file, an entry from another version, an
entry that is damaged, foreign or unreadable, a cache folder that cannot be
made. A miss compiles the intent as if there were no cache and stores it if it
is valid. Only valid intents are stored, so every error message is the
compiler's own, with its ``FILE:LINE``.

Entries are pickles, so the cache is trusted as Python trusts its own
``__pycache__``, and no further: the folder must be the user's and writable by
no one else, and each entry a regular file of the user's that no one else can
write; anything else is ignored. The folder is ``$SPRMON_CACHE_DIR``, else
``$XDG_CACHE_HOME/sprmon``, else ``~/.cache/sprmon``; ``SPRMON_NO_CACHE=1``
turns the cache off. One entry per intent path; deleting the folder is safe.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import site
import stat
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from sprmon.boundedfile import FileReadError, read_bounded
from sprmon.intentfile.loaded import LoadedIntent, SourceFile
from sprmon.secrets import secret_file_problem

__all__ = ["CACHE_DIR_ENV", "NO_CACHE_ENV", "cache_folder", "load_config_cached"]

log = logging.getLogger(__name__)

CACHE_DIR_ENV = "SPRMON_CACHE_DIR"
NO_CACHE_ENV = "SPRMON_NO_CACHE"

#: Changes whenever what an entry holds changes shape.
_FORMAT = 1
#: The largest file an entry depends on (a sites_csv: csvsource.MAX_CSV_BYTES).
_MAX_SOURCE_BYTES = 32 * 1024 * 1024
#: A 100,000-site CSV compiles to about 20 MB of pickle; far more is not an entry.
_MAX_ENTRY_BYTES = 256 * 1024 * 1024
_PACKAGE = Path(__file__).resolve().parents[1]


def cache_folder(environ: Mapping[str, str] | None = None) -> Path | None:
    """Where compiled intents are kept; ``None`` when the cache is turned off."""
    env = os.environ if environ is None else environ
    if env.get(NO_CACHE_ENV, "").strip() not in ("", "0"):
        return None
    if env.get(CACHE_DIR_ENV):
        return Path(env[CACHE_DIR_ENV])
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]) / "sprmon"
    home = env.get("HOME")
    return Path(home) / ".cache" / "sprmon" if home else None


def load_config_cached(path: Path, folder: Path | None) -> LoadedIntent:
    """:func:`sprmon.intentfile.load_config` of ``path``, from ``folder`` when it holds
    what compiling would give (see the module's rules); ``None`` compiles always."""
    if folder is None:
        return _compile(path)
    key = _key(path)
    # Named by the path alone: a new sprmon overwrites its old entries, not adds to them.
    name = hashlib.sha256(f"{key[1]}\0{key[2]}".encode()).hexdigest()[:32]
    entry = folder / f"{name}.intent"
    loaded = _read_entry(entry, key, path.parent.absolute())
    if loaded is not None:
        log.debug("intent %s: compiled form from %s", path, entry)
        return loaded
    loaded = _compile(path)
    _write_entry(folder, entry, key, loaded)
    return loaded


def _compile(path: Path) -> LoadedIntent:
    from sprmon.intentfile.loader import load_config  # noqa: PLC0415  (pydantic: a miss only)

    return load_config(path)


def _key(path: Path) -> tuple[object, ...]:
    """What an entry must have been made with, besides the content of its sources."""
    return (_FORMAT, str(path), str(path.absolute()), sys.version, _code_fingerprint())


def _code_fingerprint() -> str:
    """sprmon's modules and the installed packages, by size and mtime (no reading)."""
    stats = [f"{p}:{s.st_size}:{s.st_mtime_ns}" for p, s in _package_files(_PACKAGE)]
    for folder in {*site.getsitepackages(), site.getusersitepackages()}:
        try:
            stats.append(f"{folder}:{Path(folder).stat().st_mtime_ns}")
        except OSError:
            stats.append(f"{folder}:-")
    return hashlib.sha256("\n".join(sorted(stats)).encode()).hexdigest()


def _package_files(folder: Path) -> Iterator[tuple[str, os.stat_result]]:
    with os.scandir(folder) as entries:
        for item in entries:
            if item.is_dir(follow_symlinks=False):
                if item.name != "__pycache__":
                    yield from _package_files(Path(item.path))
            elif item.name.endswith(".py"):
                yield item.path, item.stat()


def _read_entry(entry: Path, key: tuple[object, ...], intent_dir: Path) -> LoadedIntent | None:
    try:
        fd = os.open(entry, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as file:
            if not _trusted(os.fstat(file.fileno()), entry.parent):
                log.warning(
                    "not using the compiled intent in %s: it or its folder is not this user's "
                    "alone (chmod go-w, or name another folder in %s)",
                    entry,
                    CACHE_DIR_ENV,
                )
                return None
            header = pickle.load(file)
            if not _still_valid(header, key, intent_dir):
                return None
            loaded = pickle.load(file)
    # A damaged entry fails in whatever way unpickling its bytes happens to: every
    # such failure is a miss, and the compiler then writes a good entry over it.
    except Exception as exc:
        log.debug("ignoring %s: %s", entry, exc)
        return None
    return loaded if isinstance(loaded, LoadedIntent) else None


def _trusted(info: os.stat_result, folder: Path) -> bool:
    """A regular file and folder of this user's that no one else may write (the folder
    may be reached through a link: who may write into it is what counts)."""
    try:
        folder_info = folder.stat()
    except OSError:
        return False
    return (
        stat.S_ISREG(info.st_mode)
        and stat.S_ISDIR(folder_info.st_mode)
        and info.st_size <= _MAX_ENTRY_BYTES
        and all(
            s.st_uid == os.geteuid() and not s.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
            for s in (info, folder_info)
        )
    )


def _still_valid(header: Any, key: tuple[object, ...], intent_dir: Path) -> bool:
    if not isinstance(header, dict) or header.get("key") != key:
        return False
    sources, secret_files = header.get("sources"), header.get("secret_files")
    if not isinstance(sources, tuple) or not sources or not isinstance(secret_files, tuple):
        return False
    return all(_unchanged(source) for source in sources) and all(
        isinstance(file, str) and secret_file_problem(file, intent_dir) is None
        for file in secret_files
    )


def _unchanged(source: object) -> bool:
    if not isinstance(source, SourceFile):
        return False
    try:
        content = read_bounded(Path(source.path), limit=_MAX_SOURCE_BYTES)
    except FileReadError:
        return False
    return SourceFile.read_as(source.path, content) == source


def _write_entry(folder: Path, entry: Path, key: tuple[object, ...], loaded: LoadedIntent) -> None:
    header = {
        "key": key,
        "sources": loaded.provenance.sources,
        "secret_files": loaded.provenance.secret_files,
    }
    import tempfile  # noqa: PLC0415  (a miss only; tempfile imports random, shutil...)

    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as file:
                pickle.dump(header, file, protocol=pickle.HIGHEST_PROTOCOL)
                pickle.dump(loaded, file, protocol=pickle.HIGHEST_PROTOCOL)
            # Readers see the old entry or the new one whole, never a part.
            Path(temporary).replace(entry)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        # No cache is slower, never wrong: a read-only home must not fail a check.
        log.debug("not caching the compiled intent in %s: %s", folder, exc)
    except Exception as exc:  # a check must not fail for its cache
        log.warning("not caching the compiled intent: %s", exc)
