"""The web configuration file of Prometheus exporters (TLS and basic authentication).

sprmon reads the format of prometheus/exporter-toolkit (``--web.config.file`` of
node_exporter, snmp_exporter, Prometheus itself), so one file and one runbook
serve every exporter on a host::

    tls_server_config:
      cert_file: server.crt            # relative paths: from the file's folder
      key_file: server.key
      client_auth_type: RequireAndVerifyClientCert   # optional
      client_ca_file: clients-ca.crt                 # optional
      min_version: TLS12                             # optional (TLS12); max_version: TLS13
    basic_auth_users:
      prometheus: $2b$12$...           # bcrypt hash (htpasswd -nBC 12 "" | tr -d ':\\n')

Validation is strict and complete: unknown keys are errors, an exporter-toolkit
option sprmon does not implement is named as such (a file written for another
exporter must not silently lose a protection), and every problem is reported at
once as ``FILE:LINE: field: message``. The certificate and key are loaded here
too, so a bad path or a key that does not match fails at start, not at the
first scrape. Password hashes are checked for shape, never printed.
"""

from __future__ import annotations

import enum
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sprmon.boundedfile import FileReadError, read_bounded
from sprmon.intentfile.problems import FieldPath, Problem, Problems, Scope
from sprmon.intentfile.yamlsource import parse_yaml

_TOP_LEVEL = ("tls_server_config", "basic_auth_users")
_TLS_KEYS = (
    "cert_file",
    "key_file",
    "client_auth_type",
    "client_ca_file",
    "min_version",
    "max_version",
)
#: exporter-toolkit options that sprmon knows but does not implement.
_TOOLKIT_ONLY: dict[FieldPath, tuple[str, ...]] = {
    (): ("http_server_config", "rate_limit"),
    ("tls_server_config",): (
        "cert",
        "key",
        "client_ca",
        "cipher_suites",
        "curve_preferences",
        "prefer_server_cipher_suites",
        "client_allowed_sans",
    ),
}
#: A modular-crypt bcrypt hash: $2a$/$2b$/$2y$, a two-digit cost, 22 + 31 characters.
_BCRYPT = re.compile(r"\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}")
_TLS_VERSIONS = {
    "TLS10": ssl.TLSVersion.TLSv1,
    "TLS11": ssl.TLSVersion.TLSv1_1,
    "TLS12": ssl.TLSVersion.TLSv1_2,
    "TLS13": ssl.TLSVersion.TLSv1_3,
}
_MAX_FILE_BYTES = 1_000_000


class ClientAuth(enum.Enum):
    """exporter-toolkit's ``client_auth_type`` values that Python's ssl module can enforce."""

    NO_CLIENT_CERT = "NoClientCert"
    VERIFY_IF_GIVEN = "VerifyClientCertIfGiven"
    REQUIRE_AND_VERIFY = "RequireAndVerifyClientCert"


#: Go's crypto/tls modes without verification: Python cannot request a
#: certificate without verifying it, and accepting any certificate is no check.
_UNSUPPORTED_CLIENT_AUTH = ("RequestClientCert", "RequireAnyClientCert", "RequireClientCert")


class WebConfigError(Exception):
    """The web configuration file cannot be used; ``problems`` lists everything found."""

    def __init__(self, problems: tuple[Problem, ...]) -> None:
        self.problems = problems
        count = len(problems)
        source = problems[0].file if problems else "web configuration file"
        lines = [f"{count} problem{'s' if count != 1 else ''} in {source}:"]
        lines.extend(f"  {problem}" for problem in problems)
        super().__init__("\n".join(lines))


@dataclass(frozen=True, slots=True)
class TlsServerConfig:
    cert_file: Path
    key_file: Path
    client_auth: ClientAuth = ClientAuth.NO_CLIENT_CERT
    client_ca_file: Path | None = None
    min_version: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2
    max_version: ssl.TLSVersion = ssl.TLSVersion.TLSv1_3

    def ssl_context(self) -> ssl.SSLContext:
        """A server context; raises ``OSError``/``ssl.SSLError`` when a file is unusable."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = self.min_version
        context.maximum_version = self.max_version
        context.load_cert_chain(self.cert_file, self.key_file, password=_no_password)
        if self.client_ca_file is not None:
            context.load_verify_locations(cafile=self.client_ca_file)
        context.verify_mode = {
            ClientAuth.NO_CLIENT_CERT: ssl.CERT_NONE,
            ClientAuth.VERIFY_IF_GIVEN: ssl.CERT_OPTIONAL,
            ClientAuth.REQUIRE_AND_VERIFY: ssl.CERT_REQUIRED,
        }[self.client_auth]
        return context


def _no_password() -> bytes:
    # Without a callback OpenSSL would prompt on the terminal for the key's
    # passphrase, and a daemon would hang there.
    raise EncryptedKeyError


class EncryptedKeyError(ValueError):
    """The private key is encrypted; sprmon reads only unencrypted keys (mode 0600)."""


@dataclass(frozen=True, slots=True)
class WebConfig:
    """TLS (None: plain HTTP) and basic-auth users (empty: no authentication)."""

    tls: TlsServerConfig | None = None
    #: User name -> bcrypt hash. Not shown in repr: hashes invite offline guessing.
    basic_auth_users: Mapping[str, bytes] = field(default_factory=dict, repr=False)
    source: str = ""

    def ssl_context(self) -> ssl.SSLContext | None:
        return None if self.tls is None else self.tls.ssl_context()


def load_web_config(path: Path | str) -> WebConfig:
    """Read and validate a web configuration file; raise :class:`WebConfigError` listing all."""
    path = Path(path)
    file = str(path)
    try:
        # A FIFO or a device named here must not hang the daemon's start.
        raw = read_bounded(path, limit=_MAX_FILE_BYTES)
    except FileReadError as exc:
        raise WebConfigError((Problem(file, None, "", f"cannot read: {exc.message}"),)) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WebConfigError((Problem(file, None, "", "not UTF-8 text"),)) from exc
    problems = Problems()
    document = parse_yaml(text, file, problems)
    if document is None:
        raise WebConfigError(problems.sorted(file))
    scope = Scope(file=file, lines=document.lines, fallback_line=1)
    config = _Reader(scope, problems, path.parent).read(document.data)
    if problems.items:
        raise WebConfigError(problems.sorted(file))
    assert config is not None
    return config


class _Reader:
    def __init__(self, scope: Scope, problems: Problems, folder: Path) -> None:
        self.scope = scope
        self.problems = problems
        self.folder = folder

    def problem(self, where: FieldPath, message: str) -> None:
        self.problems.add(self.scope, where, message)

    def read(self, data: object) -> WebConfig | None:
        if data is None:
            # An empty file is valid for exporter-toolkit too: plain HTTP, no auth.
            return WebConfig(source=self.scope.file)
        if not isinstance(data, dict):
            self.problem((), "must be a mapping with tls_server_config and/or basic_auth_users")
            return None
        self.check_keys(data, (), _TOP_LEVEL)
        tls = None
        if data.get("tls_server_config") is not None:
            tls = self.tls(data["tls_server_config"])
        users = self.users(data.get("basic_auth_users"))
        return WebConfig(tls=tls, basic_auth_users=users, source=self.scope.file)

    def check_keys(self, data: dict[str, object], where: FieldPath, known: tuple[str, ...]) -> None:
        toolkit_only = _TOOLKIT_ONLY.get(where, ())
        for key in data:
            if key in known:
                continue
            if key in toolkit_only:
                self.problem(
                    (*where, key),
                    "an exporter-toolkit option that sprmon does not support: remove it",
                )
            else:
                self.problem((*where, key), f"unknown key; expected one of {', '.join(known)}")

    def path(
        self, data: dict[str, object], where: FieldPath, key: str, *, required: bool = False
    ) -> Path | None:
        value = data.get(key)
        if value is None:
            if required:
                self.problem((*where, key), "missing: TLS needs cert_file and key_file")
            return None
        if not isinstance(value, str) or not value:
            self.problem((*where, key), "must be a file name")
            return None
        path = Path(value)
        # As exporter-toolkit does: relative to the web config file, not the working directory.
        return path if path.is_absolute() else self.folder / path

    def tls(self, data: object) -> TlsServerConfig | None:
        where: FieldPath = ("tls_server_config",)
        if not isinstance(data, dict):
            self.problem(where, "must be a mapping")
            return None
        count = len(self.problems)
        self.check_keys(data, where, _TLS_KEYS)
        cert = self.path(data, where, "cert_file", required=True)
        key = self.path(data, where, "key_file", required=True)
        ca = self.path(data, where, "client_ca_file")
        client_auth = self.client_auth(data, where, ca)
        versions = [
            self.version(data, where, name, default)
            for name, default in (
                ("min_version", ssl.TLSVersion.TLSv1_2),
                ("max_version", ssl.TLSVersion.TLSv1_3),
            )
        ]
        if versions[0] is not None and versions[1] is not None and versions[0] > versions[1]:
            self.problem((*where, "max_version"), "must not be below min_version")
        if len(self.problems) > count or cert is None or key is None or client_auth is None:
            return None
        if versions[0] is None or versions[1] is None:
            return None
        config = TlsServerConfig(cert, key, client_auth, ca, versions[0], versions[1])
        self.try_context(config, where)
        return config

    def client_auth(
        self, data: dict[str, object], where: FieldPath, ca: Path | None
    ) -> ClientAuth | None:
        value = data.get("client_auth_type")
        field_path = (*where, "client_auth_type")
        if value is None:
            mode = ClientAuth.NO_CLIENT_CERT
        elif value in _UNSUPPORTED_CLIENT_AUTH:
            self.problem(
                field_path,
                f"{value} accepts client certificates without verifying them, which sprmon "
                "does not offer: use VerifyClientCertIfGiven or RequireAndVerifyClientCert "
                "with client_ca_file",
            )
            return None
        else:
            try:
                mode = ClientAuth(value)
            except ValueError:
                choices = ", ".join(mode.value for mode in ClientAuth)
                self.problem(field_path, f"must be one of {choices}")
                return None
        if mode is ClientAuth.NO_CLIENT_CERT and ca is not None:
            self.problem(
                (*where, "client_ca_file"),
                "given without a client_auth_type that checks client certificates: set "
                "client_auth_type to RequireAndVerifyClientCert (or VerifyClientCertIfGiven)",
            )
        if mode is not ClientAuth.NO_CLIENT_CERT and ca is None:
            self.problem(
                (*where, "client_ca_file"),
                f"missing: {mode.value} needs the CA that signs client certificates",
            )
        return mode

    def version(
        self, data: dict[str, object], where: FieldPath, name: str, default: ssl.TLSVersion
    ) -> ssl.TLSVersion | None:
        value = data.get(name)
        if value is None:
            return default
        version = _TLS_VERSIONS.get(value) if isinstance(value, str) else None
        if version is None:
            self.problem((*where, name), f"must be one of {', '.join(_TLS_VERSIONS)}")
        return version

    def try_context(self, config: TlsServerConfig, where: FieldPath) -> None:
        """Load the files now, so that a bad one stops the start with its field named."""
        missing = False
        for name, path in (
            ("cert_file", config.cert_file),
            ("key_file", config.key_file),
            ("client_ca_file", config.client_ca_file),
        ):
            if path is not None and not path.is_file():
                self.problem((*where, name), f"{path}: no such file")
                missing = True
        if missing:
            return
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            context.load_cert_chain(config.cert_file, config.key_file, password=_no_password)
        except EncryptedKeyError:
            self.problem(
                (*where, "key_file"),
                "the key is encrypted with a passphrase: store it unencrypted, readable "
                "only by sprmon's user",
            )
        except (OSError, ssl.SSLError) as exc:
            self.problem(
                (*where, "cert_file"),
                f"cannot load the certificate with key_file (PEM files of one pair?): {exc}",
            )
        if config.client_ca_file is not None:
            try:
                context.load_verify_locations(cafile=config.client_ca_file)
            except (OSError, ssl.SSLError) as exc:
                self.problem(
                    (*where, "client_ca_file"), f"cannot load CA certificates (PEM): {exc}"
                )

    def users(self, data: object) -> dict[str, bytes]:
        where: FieldPath = ("basic_auth_users",)
        if data is None:
            return {}
        if not isinstance(data, dict):
            self.problem(where, "must be a mapping of user name to bcrypt hash")
            return {}
        users: dict[str, bytes] = {}
        for name, value in data.items():
            if not name or ":" in name:
                self.problem((*where, name), "a user name must be non-empty and without ':'")
                continue
            if not isinstance(value, str) or _BCRYPT.fullmatch(value) is None:
                self.problem(
                    (*where, name),
                    "must be a bcrypt hash ($2y$/$2b$ + cost + 53 characters), e.g. from "
                    "htpasswd -nBC 12 \"\" | tr -d ':\\n' — never the password itself",
                )
                continue
            users[name] = value.encode("ascii")
        return users
