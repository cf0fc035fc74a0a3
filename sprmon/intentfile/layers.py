"""The layers under each site: ``site_defaults``, then the site's group.

A site's values come from the site if it sets them, else from its group,
else from ``site_defaults`` (docs/intent-file.md). :class:`Layers` checks
each layer once, records the broken ones (a site on a broken layer is not
built: what that layer would have given is unknown) and merges
``site_defaults`` with each group once, whatever the number of sites.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TypeVar

from pydantic import BaseModel

from sprmon.intentfile.context import REF_NAME, TARGET_KINDS, CompileContext, mapping
from sprmon.intentfile.problems import FieldPath, Scope, quote
from sprmon.intentfile.schema import SiteBodySpec, validate

# Labels become Prometheus labels.
_LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_M = TypeVar("_M", bound=BaseModel)


@dataclass(slots=True)
class Layers:
    ctx: CompileContext
    groups: dict[str, SiteBodySpec | None] = field(default_factory=dict)
    defaults: SiteBodySpec | None = None
    #: Group -> site_defaults merged with it (``None`` if either is broken).
    bases: dict[str | None, SiteBodySpec | None] = field(default_factory=dict)

    def read_site_defaults(self, raw: object) -> None:
        self.defaults = self._layer(("site_defaults",), raw)

    def read_groups(self, raw: object) -> None:
        if raw is None:
            return
        for name, value in (self.ctx.section(raw, "groups") or {}).items():
            self.ctx.name(("groups", name), name, REF_NAME)
            self.groups[name] = self._layer(("groups", name), value)

    def _layer(self, rel: FieldPath, raw: object) -> SiteBodySpec | None:
        """``site_defaults`` or a group; ``None`` if anything in it is wrong."""
        scope = self.ctx.root.child(rel)
        data = {} if raw is None else raw
        problems = self.ctx.problems
        before = len(problems)
        self.check_references(scope, mapping(data))
        spec = validate(SiteBodySpec, data, scope, problems)
        return spec if len(problems) == before else None

    def check_references(self, scope: Scope, raw: Mapping[str, object]) -> None:
        """What one layer (or a site) refers to: link roles, credentials; and its label names."""
        for role in mapping(raw.get("links")):
            unknown = self.ctx.unknown_link(role)
            if unknown is not None:
                self.ctx.problem(scope, ("links", role), unknown)
        for kind in TARGET_KINDS:
            name = mapping(raw.get(kind)).get("credentials")
            if isinstance(name, str):
                self._check_credentials(scope, kind, name)
        for label in mapping(raw.get("labels")):
            if not _LABEL_NAME.fullmatch(label):
                self.ctx.problem(
                    scope,
                    ("labels", label),
                    f"label name '{label}' must be letters, digits and '_', not starting "
                    "with a digit (it becomes a Prometheus label)",
                )

    def _check_credentials(self, scope: Scope, kind: str, name: str) -> None:
        rel = (kind, "credentials")
        credential_kinds = self.ctx.credential_kinds
        kinds = credential_kinds.get(name)
        if kinds is None:
            defined = ", ".join(sorted(credential_kinds)) or "none"
            message = f"unknown credentials {quote(name)} (defined credentials: {defined})"
            self.ctx.problem(scope, rel, message)
        elif kinds and kind not in kinds:
            fitting = sorted(n for n, k in credential_kinds.items() if kind in k)
            self.ctx.problem(
                scope,
                rel,
                f"credentials '{name}' have no {kind} section "
                f"(credentials with {kind}: {', '.join(fitting) or 'none'})",
            )

    def base(self, group: str | None) -> SiteBodySpec | None:
        """``site_defaults`` merged with ``group``; ``None`` if either is broken."""
        if group in self.bases:
            return self.bases[group]
        base = self.defaults
        if base is not None and group is not None:
            spec = self.groups.get(group)
            base = merge(base, spec) if spec is not None else None
        self.bases[group] = base
        return base


def merge(low: _M, high: BaseModel) -> _M:
    """``high`` over ``low``: mappings merge key by key, anything else (lists too) is replaced.

    Only ``low``'s fields are taken from ``high``, so a site (which also has a
    name and a group) can merge into a :class:`SiteBodySpec`. ``None`` means
    "not set here" and never overrides.
    """
    changes: dict[str, object] = {}
    fields = _field_names(type(low))
    for name in high.model_fields_set:
        value = getattr(high, name)
        if value is None or name not in fields:
            continue
        current = getattr(low, name)
        if isinstance(value, BaseModel) and isinstance(current, BaseModel):
            value = merge(current, value)
        elif isinstance(value, dict) and isinstance(current, dict):
            merged = dict(current)
            for key, item in value.items():
                merged[key] = _merge_value(merged.get(key), item)
            value = merged
        changes[name] = value
    return low.model_copy(update=changes) if changes else low


@cache
def _field_names(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(model.model_fields)


def _merge_value(low: object, high: object) -> object:
    if isinstance(low, BaseModel) and isinstance(high, BaseModel):
        return merge(low, high)
    return high
