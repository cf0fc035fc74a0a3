"""The shape of each section of an intent file (version 1), as pydantic models.

These models check one layer at a time (``site_defaults``, a group, a site, a
CSV row): keys, types and single values. Everything that needs more than one
value (merging, references between sections, overlaps, duplicates) is checked
by :mod:`sprmon.intentfile.compiler`, which also builds the core objects.

Every model forbids unknown keys. Every site-level field is optional here,
because a site may get it from a group or ``site_defaults``; ``None`` means
"not set in this layer".
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Annotated, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails

from sprmon.core.prefixes import Address, Prefix
from sprmon.intentfile.problems import FieldPath, Problems, Scope
from sprmon.intentfile.values import (
    check_env_name,
    describe,
    parse_address,
    parse_capacity,
    parse_community,
    parse_duration,
    parse_prefix,
    parse_rate,
    parse_ratio,
)
from sprmon.inventory import AuthProtocol, DataPart, PrivProtocol, SnmpVersion

INLINE_SECRET = "secrets are given by reference: {env: NAME} or {file: PATH}"


def _one_or_many(value: object) -> object:
    """Anywhere a list is expected, a single value is a one-item list."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return [value]
    return value


def _secret_reference(value: object) -> object:
    if value is not None and not isinstance(value, dict):
        raise ValueError(INLINE_SECRET)
    return value


def _snmp_version(value: object) -> object:
    text = str(value).strip().lower() if isinstance(value, int | str) else None
    if text in ("2c", "3") and not isinstance(value, bool):
        return text
    shown = value if isinstance(value, int | str) and not isinstance(value, bool) else None
    raise ValueError(f"unsupported SNMP version {shown or describe(value)} (use 2c or 3)")


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


def _interface(value: object) -> object:
    """A name, or an ifIndex; digits only (as a CSV cell gives it) mean an ifIndex."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(
            f"expected an interface name such as eth1 or an ifIndex number, got {describe(value)}"
        )
    if isinstance(value, str):
        value = value.strip()
        if value.isdigit():
            return int(value)
        if not value:
            raise ValueError("an interface name cannot be empty")
    if isinstance(value, int) and value < 1:
        raise ValueError(f"an ifIndex is 1 or more, got {value}")
    return value


def _label_value(value: object) -> object:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _parts(value: object) -> object:
    """``use: bgp`` is ``use: [bgp]``; each part once, and at least one."""
    items = _one_or_many(value)
    if isinstance(items, list | tuple):
        if not items:
            raise ValueError("name at least one of bgp, interfaces (or leave the gnmi target out)")
        lowered = [_lower(item) for item in items]
        repeated = sorted({str(i) for i in lowered if lowered.count(i) > 1})
        if repeated:
            raise ValueError(f"{', '.join(repeated)} is listed twice")
        return lowered
    return items


def _non_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("cannot be empty")
    return value


AddressStr = Annotated[Address, BeforeValidator(parse_address)]
PrefixStr = Annotated[Prefix, BeforeValidator(parse_prefix)]
Addresses = Annotated[tuple[AddressStr, ...], BeforeValidator(_one_or_many)]
Names = Annotated[tuple[str, ...], BeforeValidator(_one_or_many)]
Capacity = Annotated[int, BeforeValidator(parse_capacity)]
Duration = Annotated[float, BeforeValidator(parse_duration)]
Ratio = Annotated[float, BeforeValidator(parse_ratio)]
Rate = Annotated[float, BeforeValidator(parse_rate)]
Port = Annotated[int, Field(ge=1, le=65535)]
Uint32 = Annotated[int, Field(ge=0, le=0xFFFF_FFFF)]
Text = Annotated[str, AfterValidator(_non_empty)]
Community = Annotated[str, BeforeValidator(parse_community)]
Interface = Annotated[int | str, BeforeValidator(_interface)]
LabelValue = Annotated[str, BeforeValidator(_label_value)]


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- links, applications, thresholds ---------------------------------------------------------


class LinkSpec(Spec):
    description: str = ""


class MarkingSpec(Spec):
    med: Uint32 | None = None
    local_pref: Uint32 | None = None
    communities: Annotated[tuple[Community, ...], BeforeValidator(_one_or_many)] = ()


class ApplicationSpec(Spec):
    description: str = ""
    prefixes: Annotated[tuple[PrefixStr, ...], BeforeValidator(_one_or_many)]
    links: Names
    marking: dict[str, MarkingSpec] = Field(default_factory=dict)


class ThresholdsSpec(Spec):
    utilization_warning: Ratio | None = None
    utilization_critical: Ratio | None = None
    error_rate_warning: Rate | None = None
    error_rate_critical: Rate | None = None
    stale_after: Duration | None = None


# --- credentials -----------------------------------------------------------------------------


class SecretSpec(Spec):
    env: Annotated[str, AfterValidator(check_env_name)] | None = None
    file: Text | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretSpec:
        if (self.env is None) == (self.file is None):
            raise ValueError("give exactly one of env or file, e.g. {env: SPRMON_SNMP_COMMUNITY}")
        return self


Secret = Annotated[SecretSpec, BeforeValidator(_secret_reference)]
OptionalSecret = Annotated[SecretSpec | None, BeforeValidator(_secret_reference)]


class AuthSpec(Spec):
    # Both are required: pysnmp silently falls back to MD5 when a key has no protocol.
    protocol: Annotated[AuthProtocol, BeforeValidator(_lower)]
    key: Secret


class PrivSpec(Spec):
    protocol: Annotated[PrivProtocol, BeforeValidator(_lower)]
    key: Secret


class SnmpCredentialSpec(Spec):
    version: Annotated[SnmpVersion, BeforeValidator(_snmp_version)]
    community: OptionalSecret = None
    user: Text | None = None
    auth: AuthSpec | None = None
    priv: PrivSpec | None = None

    @model_validator(mode="after")
    def _consistent(self) -> SnmpCredentialSpec:
        if self.version is SnmpVersion.V2C:
            if self.community is None:
                raise ValueError("SNMP v2c needs a community, e.g. community: {env: NAME}")
            extra = [k for k in ("user", "auth", "priv") if getattr(self, k) is not None]
            if extra:
                raise ValueError(f"{', '.join(extra)} apply to SNMP v3 only")
        else:
            if self.user is None:
                raise ValueError("SNMP v3 needs a user")
            if self.community is not None:
                raise ValueError("community applies to SNMP v2c only")
            if self.priv is not None and self.auth is None:
                raise ValueError("SNMP v3 privacy (priv) needs authentication (auth) as well")
        return self


class GnmiCredentialSpec(Spec):
    username: Text
    password: Secret


class CredentialSpec(Spec):
    snmp: SnmpCredentialSpec | None = None
    gnmi: GnmiCredentialSpec | None = None

    @model_validator(mode="after")
    def _some(self) -> CredentialSpec:
        if self.snmp is None and self.gnmi is None:
            raise ValueError("credentials need an snmp or a gnmi section")
        return self


# --- sites -----------------------------------------------------------------------------------


class SnmpSpec(Spec):
    host: AddressStr | None = None
    port: Port | None = None
    credentials: str | None = None
    timeout: Duration | None = None
    retries: Annotated[int, Field(ge=0, le=10)] | None = None
    max_repetitions: Annotated[int, Field(ge=1, le=1000)] | None = None
    targeted_bgp: bool | None = None


class GnmiSpec(Spec):
    host: AddressStr | None = None
    port: Port | None = None
    credentials: str | None = None
    tls: bool | None = None
    ca_file: Text | None = None
    timeout: Duration | None = None
    #: What is read over gNMI (default: everything); the rest comes over SNMP.
    use: Annotated[tuple[DataPart, ...], BeforeValidator(_parts)] | None = None


class SiteLinkSpec(Spec):
    capacity: Capacity | None = None
    neighbors: Addresses | None = None
    next_hops: Addresses | None = None
    interface: Interface | None = None


class SiteBodySpec(Spec):
    """What ``site_defaults``, a group and a site may set."""

    address: AddressStr | None = None
    snmp: SnmpSpec | None = None
    gnmi: GnmiSpec | None = None
    links: dict[str, SiteLinkSpec] | None = None
    labels: dict[str, LabelValue] | None = None


class SiteSpec(SiteBodySpec):
    name: Annotated[str, AfterValidator(_non_empty)]
    group: str | None = None


#: Top-level keys of a version 1 intent file, in the order the docs present them.
TOP_LEVEL_KEYS = (
    "version",
    "links",
    "applications",
    "default_application",
    "thresholds",
    "credentials",
    "site_defaults",
    "groups",
    "sites",
    "sites_csv",
    "monitor",
    "mqtt",
)

#: Site fields that hold lists; in a CSV cell their items are separated by ";".
LIST_FIELDS = frozenset({"neighbors", "next_hops", "use"})

_M = TypeVar("_M", bound=BaseModel)


# --- validating and reporting ----------------------------------------------------------------


def validate(model: type[_M], data: object, scope: Scope, problems: Problems) -> _M | None:
    """Validate one section; on failure add one problem per error and return ``None``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            path, message = translate_error(model, error)
            problems.add(scope, path, message)
        return None


def translate_error(model: type[BaseModel], error: ErrorDetails) -> tuple[FieldPath, str]:
    """A pydantic error as (path relative to the validated data, message for a person)."""
    path: FieldPath = tuple(error["loc"])
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        key = str(path[-1]) if path else ""
        return path, unknown_key_message(key, sorted(keys_at(model, path[:-1])))
    if kind == "missing":
        return path, f"required key '{path[-1] if path else ''}' is missing"
    if kind in ("value_error", "assertion_error"):
        ctx = error.get("ctx") or {}
        return path, str(ctx.get("error", error["msg"]))
    expected = _EXPECTED.get(kind)
    if expected is not None:
        return path, f"expected {expected}, got {describe(value)}"
    if kind == "enum":
        ctx = error.get("ctx") or {}
        return path, f"unsupported value {describe(value)} (use {ctx.get('expected', '?')})"
    message = error["msg"].replace("Input should be", "must be")
    return path, f"{message}, got {describe(value)}"


_EXPECTED = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
    "list_type": "a list",
    "tuple_type": "a list",
}


def unknown_key_message(key: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(key, valid, n=1)
    if close:
        return f"unknown key '{key}' (did you mean '{close[0]}'?)"
    if valid:
        return f"unknown key '{key}' (valid keys: {', '.join(valid)})"
    return f"unknown key '{key}'"


def keys_at(model: type[BaseModel], path: FieldPath) -> set[str]:
    """The keys a mapping at ``path`` inside ``model`` may have (empty if free-form)."""
    target = type_at(model, path)
    if isinstance(target, type) and issubclass(target, BaseModel):
        return set(target.model_fields)
    return set()


def type_at(model: type[BaseModel], path: FieldPath) -> object:
    """The declared type of the value at ``path`` inside ``model``; ``None`` if no such path.

    Dict keys and list indexes are wildcards: ``("links", "mpls", "capacity")``
    in a site is the ``capacity`` of a :class:`SiteLinkSpec`.
    """
    current: object = model
    for item in path:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(item))
            if field is None:
                return None
            current = field.annotation
            continue
        origin = typing.get_origin(current)
        args = typing.get_args(current)
        if origin is dict and len(args) == 2:
            current = args[1]
        elif origin in (tuple, list) and args:
            current = args[0]
        else:
            return None
    return _unwrap(current)


def _unwrap(annotation: object) -> object:
    """Strip ``Annotated`` and ``| None`` to get at the type that has fields."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def is_mapping_type(annotation: object) -> bool:
    """True for a model or a dict: something a CSV column cannot hold whole."""
    target = _unwrap(annotation)
    if isinstance(target, type) and issubclass(target, BaseModel):
        return True
    return typing.get_origin(target) is dict
