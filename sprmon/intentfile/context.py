"""What the parts of one compile share: where problems go, and what the file defined up front.

The compile (:mod:`sprmon.intentfile.compiler`) reads the sections in order;
the layers (:mod:`~sprmon.intentfile.layers`), the sites
(:mod:`~sprmon.intentfile.sites`) and their targets
(:mod:`~sprmon.intentfile.targets`) check what they refer to against the link
roles and credentials recorded here, and add their problems through
:meth:`CompileContext.problem`, so that every problem keeps its place in one
list.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from sprmon.intentfile.loaded import SourceFile
from sprmon.intentfile.problems import FieldPath, Problems, Scope
from sprmon.intentfile.schema import CredentialSpec, SecretSpec
from sprmon.intentfile.values import describe
from sprmon.intentfile.yamlsource import YamlDocument
from sprmon.inventory import SecretRef
from sprmon.secrets import secret_file_problem

#: The target kinds a site or a credential can have.
TARGET_KINDS = ("snmp", "gnmi")
#: Credential and group names.
REF_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")

_S = TypeVar("_S", bound=BaseModel)
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class SiteSeen:
    """Where a site was first written: for "already used by site ..." problems."""

    file: str
    line: int | None
    name: str

    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file


@dataclass(slots=True)
class CompileContext:
    document: YamlDocument
    file: str
    base_dir: Path
    problems: Problems
    root: Scope = field(init=False)
    #: ``None`` when the links section is unusable: role names are then not checked.
    link_names: tuple[str, ...] | None = None
    #: The link roles every site must have; ``None`` when any link definition is broken.
    roles: tuple[str, ...] | None = None
    #: Name -> spec; ``None`` for an entry that exists but is broken.
    credentials: dict[str, CredentialSpec | None] = field(default_factory=dict)
    #: Name -> the target kinds ("snmp", "gnmi") it was written for, valid or not.
    credential_kinds: dict[str, frozenset[str]] = field(default_factory=dict)
    #: The files read besides the intent file itself (a sites_csv), for the cache.
    sources: list[SourceFile] = field(default_factory=list)
    #: Every secret file the policy was asked about, for the cache to ask again.
    secret_files: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root = Scope(file=self.file, lines=self.document.lines, fallback_line=1)

    def problem(self, scope: Scope, rel: FieldPath, message: str) -> None:
        self.problems.add(scope, rel, message)

    def secret_file_problem(self, file: str) -> str | None:
        """Why the intent may not name ``file`` as a secret (``sprmon.secrets``), recorded."""
        self.secret_files.append(file)
        return secret_file_problem(file, self.base_dir)

    def section(self, value: object, key: str) -> dict[str, object] | None:
        """A mapping section; ``None`` (and a problem) if it is something else."""
        if isinstance(value, dict):
            return value
        self.problem(self.root, (key,), f"expected a mapping (name: ...), got {describe(value)}")
        return None

    def name(self, rel: FieldPath, name: str, pattern: re.Pattern[str]) -> bool:
        if pattern.fullmatch(name):
            return True
        allowed = "letters, digits, '-' and '_'" + (" and '.'" if "." in pattern.pattern else "")
        self.problem(
            self.root,
            rel,
            f"name '{name}' must start with a letter or digit and use only {allowed}",
        )
        return False

    def unknown_link(self, role: str) -> str | None:
        """The problem with using link ``role``, if it is not defined."""
        if self.link_names is None or role in self.link_names:
            return None
        return f"unknown link '{role}' (defined links: {', '.join(sorted(self.link_names))})"

    def secret(self, spec: SecretSpec | None) -> SecretRef | None:
        if spec is None:
            return None
        if spec.env is not None:
            return SecretRef(env=spec.env)
        return SecretRef(file=self.path(spec.file or ""))

    def path(self, text: str) -> str:
        """Relative paths in the file are relative to the file's folder."""
        return str(self.base_dir / text)


def pick(high: _S | None, low: _S | None, read: Callable[[_S], _T | None]) -> _T | None:
    """``read`` from the higher layer if it sets the value, else from the lower one."""
    if high is not None:
        value = read(high)
        if value is not None:
            return value
    return read(low) if low is not None else None


def given(value: _T | None, default: _T) -> _T:
    return default if value is None else value


def mapping(value: object) -> Mapping[str, object]:
    """``value`` if it is a mapping, else an empty one (the schema reports the type)."""
    return value if isinstance(value, dict) else {}
