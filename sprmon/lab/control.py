"""How ``sprmon lab inject/clear/status`` find and talk to a running lab.

A running lab writes a state file ``NAME.json`` into the state directory
(``$SPRMON_LAB_STATE_DIR``, else ``$XDG_RUNTIME_DIR/sprmon-lab``, else
``/tmp/sprmon-lab-UID``; created 0700) and listens on a Unix socket
``NAME.sock`` next to it. The protocol is one JSON object per line each way:

    -> {"op": "inject", "router": "site-001", "fault": "link-down", "link": "mpls"}
    <- {"ok": true, "result": {...}}
    <- {"ok": false, "error": "no router named 'site-9' in this lab: ..."}

Operations: ``inject`` (router, fault, link, prefix, med), ``clear`` (router),
``status``.

Several sprmon versions may share a state directory. A state file is removed
only when it is understood (it parses as a record of :data:`STATE_FORMAT`) and
its process is gone; any other file is left alone and reported as not
understood, since it may belong to a lab of another (newer) sprmon.

Standard library only: the commands that use this module run without pysnmp.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import stat
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from sprmon.lab.errors import ControlError, LabError, NoLabRunningError, SeveralLabsRunningError
from sprmon.lab.files import write_atomically

STATE_DIR_ENV = "SPRMON_LAB_STATE_DIR"
#: Linux's limit for a Unix socket path (sun_path is 108 bytes with the NUL).
_MAX_SOCKET_PATH = 107
_MAX_LINE = 1 << 20
REQUEST_TIMEOUT_S = 10.0

#: Layout of the state file (its ``format`` key). A change that older
#: versions would misread gets a new number: they then leave the file alone.
STATE_FORMAT = 1

Handler = Callable[[dict[str, Any]], dict[str, Any]]


class StateFileError(ValueError):
    """A state file this sprmon does not understand (the message says why)."""


def default_state_dir() -> Path:
    configured = os.environ.get(STATE_DIR_ENV)
    if configured:
        return Path(configured)
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return Path(runtime) / "sprmon-lab"
    return Path(tempfile.gettempdir()) / f"sprmon-lab-{os.getuid()}"


def prepare_state_dir(path: Path) -> Path:
    """Create the state directory (0700) and check that nobody else owns it.

    In a shared /tmp another user could have created the directory first and
    would then see (and could replace) our socket.
    """
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = path.stat()
    except OSError as exc:
        raise ControlError(
            f"cannot use {path} as the lab state directory: {exc.strerror}; "
            f"choose another with --state-dir or {STATE_DIR_ENV}"
        ) from exc
    if info.st_uid != os.getuid():
        raise ControlError(
            f"the lab state directory {path} belongs to another user (uid {info.st_uid}); "
            f"choose another with --state-dir or {STATE_DIR_ENV}"
        )
    if stat.S_IMODE(info.st_mode) & 0o077:
        path.chmod(0o700)
    return path


@dataclass(frozen=True, slots=True)
class LabRecord:
    """What a running lab writes into its state file."""

    name: str
    pid: int
    socket: str
    host: str
    snmp_version: str
    sites: int
    seed: int
    ports: dict[str, int] = field(default_factory=dict)
    intent: str | None = None
    format: int = STATE_FORMAT
    #: Site -> TCP port of its gNMI target. Added within format 1: older
    #: versions read the file and ignore it; files without it read as none.
    gnmi_ports: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> LabRecord:
        """The record in a state file; :class:`StateFileError` if it is not one of this format."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise StateFileError("not JSON") from exc
        if not isinstance(data, dict):
            raise StateFileError("not a JSON object")
        # Files written before the format was recorded have format 1's layout.
        found = data.get("format", 1)
        if type(found) is not int or found != STATE_FORMAT:
            raise StateFileError(f"format {found!r}; this sprmon reads format {STATE_FORMAT}")
        try:
            return cls(
                name=str(data["name"]),
                pid=int(data["pid"]),
                socket=str(data["socket"]),
                host=str(data["host"]),
                snmp_version=str(data["snmp_version"]),
                sites=int(data["sites"]),
                seed=int(data["seed"]),
                ports={str(k): int(v) for k, v in data["ports"].items()},
                intent=None if data.get("intent") is None else str(data["intent"]),
                gnmi_ports={str(k): int(v) for k, v in data.get("gnmi_ports", {}).items()},
            )
        except KeyError as exc:
            raise StateFileError(f"no {exc.args[0]!r} in it") from exc
        except (AttributeError, TypeError, ValueError) as exc:
            raise StateFileError(f"a value of the wrong type ({exc})") from exc


@dataclass(frozen=True, slots=True)
class ForeignStateFile:
    """A state file this sprmon does not understand: left alone, only reported."""

    path: Path
    reason: str

    def describe(self) -> str:
        return f"{self.path.name} ({self.reason})"


@dataclass(frozen=True, slots=True)
class StateScan:
    """What is in a state directory: the labs that run, and the files not understood."""

    labs: tuple[LabRecord, ...]
    not_understood: tuple[ForeignStateFile, ...]

    def foreign(self, name: str) -> ForeignStateFile | None:
        """The state file of lab ``name`` if it is there but not understood."""
        return next((f for f in self.not_understood if f.path.stem == name), None)


def state_file(state_dir: Path, name: str) -> Path:
    return state_dir / f"{name}.json"


def socket_path(state_dir: Path, name: str) -> Path:
    path = state_dir / f"{name}.sock"
    if len(os.fsencode(path)) > _MAX_SOCKET_PATH:
        raise ControlError(
            f"the control socket path {path} is longer than {_MAX_SOCKET_PATH} bytes, "
            "which Unix sockets cannot have; choose a shorter --state-dir or --name"
        )
    return path


def validate_name(name: str) -> str:
    if not name or not all(c.isalnum() or c in "-_." for c in name) or name.startswith("."):
        raise LabError(f"lab name {name!r} must be letters, digits, '-', '_' or '.' (not first)")
    return name


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale(record_path: Path, record: LabRecord) -> None:
    with contextlib.suppress(FileNotFoundError):
        record_path.unlink()
    with contextlib.suppress(FileNotFoundError):
        Path(record.socket).unlink()


def scan_state_dir(state_dir: Path) -> StateScan:
    """The labs whose state files are in ``state_dir`` and whose process lives.

    A state file of this format left by a lab that died (its pid is gone) is
    removed on the way. A file that cannot be read or parsed, or is of another
    format, is left alone and listed as not understood.
    """
    if not state_dir.is_dir():
        return StateScan((), ())
    labs: list[LabRecord] = []
    foreign: list[ForeignStateFile] = []
    for path in sorted(state_dir.glob("*.json")):
        try:
            record = LabRecord.from_json(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            continue
        except StateFileError as exc:
            foreign.append(ForeignStateFile(path, str(exc)))
            continue
        except UnicodeDecodeError:
            foreign.append(ForeignStateFile(path, "not UTF-8 text"))
            continue
        except OSError as exc:
            foreign.append(ForeignStateFile(path, f"unreadable: {exc.strerror or exc}"))
            continue
        if not _pid_alive(record.pid):
            _remove_stale(path, record)
            continue
        labs.append(record)
    return StateScan(tuple(labs), tuple(foreign))


def running_labs(state_dir: Path) -> list[LabRecord]:
    """The labs that run, from :func:`scan_state_dir`."""
    return list(scan_state_dir(state_dir).labs)


def _foreign_note(scan: StateScan) -> str:
    if not scan.not_understood:
        return ""
    return "; not understood and left alone (labs of another sprmon version?): " + ", ".join(
        f.describe() for f in scan.not_understood
    )


def find_lab(state_dir: Path, name: str | None = None) -> LabRecord:
    """The running lab called ``name``, or the only running lab if ``name`` is None.

    The error when none is found names the state files this sprmon does not
    understand, which may be labs run by another version.
    """
    scan = scan_state_dir(state_dir)
    labs = scan.labs
    if name is not None:
        for record in labs:
            if record.name == name:
                return record
        foreign = scan.foreign(name)
        if foreign is not None:
            raise NoLabRunningError(
                f"the state file of lab {name!r} is not understood: {foreign.describe()} in "
                f"{state_dir}; it may belong to a lab run by another sprmon version: "
                "use that version's `sprmon lab`"
            )
        others = f" (running: {', '.join(r.name for r in labs)})" if labs else ""
        raise NoLabRunningError(
            f"no lab named {name!r} is running in {state_dir}{others}; "
            f"start it with `sprmon lab --name NAME`{_foreign_note(scan)}"
        )
    if not labs:
        where = "no state file" if not scan.not_understood else "no state file this sprmon reads"
        raise NoLabRunningError(
            f"no lab is running ({where} in {state_dir}); start one with `sprmon lab`, "
            f"or point --state-dir / {STATE_DIR_ENV} at the folder of the one that runs"
            f"{_foreign_note(scan)}"
        )
    if len(labs) > 1:
        raise SeveralLabsRunningError(
            f"{len(labs)} labs are running ({', '.join(r.name for r in labs)}): "
            "say which one with --name"
        )
    return labs[0]


def write_record(state_dir: Path, record: LabRecord) -> Path:
    """Write the state file (atomically: readers never see half a file)."""
    path = state_file(state_dir, record.name)
    write_atomically(path, record.to_json(), 0o600)
    return path


def request(
    record: LabRecord, message: dict[str, Any], *, timeout: float = REQUEST_TIMEOUT_S
) -> Any:
    """Send one request to a running lab and return its ``result``.

    Raises :class:`ControlError` if the lab cannot be reached, and
    :class:`LabError` with the lab's message if it refused the request.
    """
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect(record.socket)
            conn.sendall(json.dumps(message).encode() + b"\n")
            with conn.makefile("rb") as stream:
                line = stream.readline(_MAX_LINE)
    except TimeoutError as exc:
        raise ControlError(
            f"lab {record.name!r} (pid {record.pid}) did not answer within {timeout:g} s"
        ) from exc
    except OSError as exc:
        raise ControlError(
            f"cannot reach lab {record.name!r} (pid {record.pid}) at {record.socket}: "
            f"{exc.strerror or exc}; if it is not running, remove "
            f"{Path(record.socket).with_suffix('.json')}"
        ) from exc
    try:
        reply = json.loads(line)
    except ValueError as exc:
        raise ControlError(f"lab {record.name!r} sent a malformed reply: {line[:200]!r}") from exc
    if not isinstance(reply, dict) or "ok" not in reply:
        raise ControlError(f"lab {record.name!r} sent a malformed reply: {line[:200]!r}")
    if not reply["ok"]:
        raise LabError(str(reply.get("error", "the lab refused the request")))
    return reply.get("result")


class ControlServer:
    """Serves the line protocol on a Unix socket; ``handler`` does the work.

    ``handler`` runs in the event loop (the model is not thread-safe) and
    raises :class:`LabError` for a request it refuses; the message goes back
    to the client.
    """

    def __init__(self, path: Path, handler: Handler) -> None:
        self.path = path
        self._handler = handler
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> ControlServer:
        if self.path.exists() or self.path.is_symlink():
            # Only reached after the caller found no live lab of this name:
            # the socket is left over from a lab that died.
            self.path.unlink()
        try:
            self._server = await asyncio.start_unix_server(
                self._serve, path=str(self.path), limit=_MAX_LINE
            )
        except OSError as exc:
            raise ControlError(
                f"cannot listen on the control socket {self.path}: {exc.strerror or exc}"
            ) from exc
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                writer.write(json.dumps(self._answer(line)).encode() + b"\n")
                await writer.drain()
        except (ConnectionError, asyncio.LimitOverrunError, ValueError):
            pass  # the client went away or sent an oversized line: nothing to answer
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def _answer(self, line: bytes) -> dict[str, Any]:
        try:
            message = json.loads(line)
        except ValueError:
            return {"ok": False, "error": "the request is not JSON"}
        if not isinstance(message, dict):
            return {"ok": False, "error": "the request is not a JSON object"}
        try:
            return {"ok": True, "result": self._handler(message)}
        except LabError as exc:
            return {"ok": False, "error": str(exc)}
