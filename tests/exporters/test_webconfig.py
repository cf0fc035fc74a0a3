"""The exporter-toolkit web config file: what loads, and what is refused with file, line, field."""

from __future__ import annotations

import os
import ssl
from pathlib import Path

import bcrypt
import pytest

from sprmon.exporters.webconfig import ClientAuth, WebConfigError, load_web_config
from tests.exporters.tls_support import Pki, make_pki, write_encrypted_key

HASH = bcrypt.hashpw(b"secret", bcrypt.gensalt(4)).decode()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def write(folder: Path, text: str) -> Path:
    path = folder / "web.yml"
    path.write_text(text)
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(WebConfigError) as caught:
        load_web_config(path)
    return [str(problem) for problem in caught.value.problems]


def test_a_full_config_loads_with_paths_relative_to_its_folder(pki: Pki) -> None:
    path = write(
        pki.ca_cert.parent,
        f"""\
tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
  min_version: TLS13
basic_auth_users:
  prometheus: {HASH}
  grafana: {HASH.replace("$2b$", "$2y$")}
""",
    )
    config = load_web_config(path)
    assert config.tls is not None
    assert (config.tls.cert_file, config.tls.client_ca_file) == (pki.server_cert, pki.ca_cert)
    assert config.tls.client_auth is ClientAuth.REQUIRE_AND_VERIFY
    assert config.tls.min_version is ssl.TLSVersion.TLSv1_3
    assert set(config.basic_auth_users) == {"prometheus", "grafana"}
    assert isinstance(config.ssl_context(), ssl.SSLContext)


def test_an_empty_file_means_plain_http_without_auth(tmp_path: Path) -> None:
    config = load_web_config(write(tmp_path, "# nothing yet\n"))
    assert (config.tls, dict(config.basic_auth_users)) == (None, {})


def test_hashes_are_not_shown_in_the_repr(tmp_path: Path) -> None:
    config = load_web_config(write(tmp_path, f"basic_auth_users:\n  prometheus: {HASH}\n"))
    assert HASH not in repr(config)


def test_unknown_keys_are_errors_with_file_line_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, "tls_server_config:\n  cert_file: a\n  key_file: b\n  cert_flie: c\n")
    assert (
        f"{path}:4: tls_server_config.cert_flie: unknown key; expected one of" in problems(path)[0]
    )


def test_toolkit_options_sprmon_lacks_are_named_as_such(tmp_path: Path) -> None:
    path = write(tmp_path, "http_server_config:\n  http2: false\nrate_limit: {interval: 1s}\n")
    assert problems(path) == [
        f"{path}:1: http_server_config: an exporter-toolkit option that sprmon does not "
        "support: remove it",
        f"{path}:3: rate_limit: an exporter-toolkit option that sprmon does not support: remove it",
    ]


def test_a_password_instead_of_a_hash_is_refused_without_echoing_it(tmp_path: Path) -> None:
    path = write(tmp_path, "basic_auth_users:\n  prometheus: hunter2hunter2\n")
    (problem,) = problems(path)
    assert problem.startswith(f"{path}:2: basic_auth_users.prometheus: must be a bcrypt hash")
    assert "hunter2" not in problem


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
tls_server_config:
  key_file: server.key
  client_auth_type: RequireAnyClientCert
  min_version: SSL3
basic_auth_users:
  "a:b": x
""",
    )
    found = problems(path)
    assert len(found) == 4
    assert "tls_server_config.cert_file: missing: TLS needs cert_file and key_file" in found[0]
    assert "client_auth_type: RequireAnyClientCert accepts client certificates without" in found[1]
    assert "tls_server_config.min_version: must be one of TLS10, TLS11, TLS12, TLS13" in found[2]
    assert "basic_auth_users.a:b: a user name must be non-empty and without ':'" in found[3]


@pytest.mark.parametrize(
    ("tls_lines", "expected"),
    [
        (
            "  client_ca_file: ca.crt\n",
            "tls_server_config.client_ca_file: given without a client_auth_type",
        ),
        (
            "  client_auth_type: VerifyClientCertIfGiven\n",
            "tls_server_config.client_ca_file: missing: VerifyClientCertIfGiven needs the CA",
        ),
        ("  client_auth_type: Sometimes\n", "client_auth_type: must be one of NoClientCert"),
        (
            "  min_version: TLS13\n  max_version: TLS12\n",
            "tls_server_config.max_version: must not be below min_version",
        ),
    ],
    ids=["ca without auth type", "auth type without ca", "unknown auth type", "versions"],
)
def test_inconsistent_tls_settings_are_refused(pki: Pki, tls_lines: str, expected: str) -> None:
    text = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n" + tls_lines
    (problem,) = problems(write(pki.ca_cert.parent, text))
    assert expected in problem


def test_a_tls_section_without_a_certificate_is_an_error_not_plain_http(tmp_path: Path) -> None:
    path = write(tmp_path, "tls_server_config:\n  cert_file:\n  key_file: ''\n")
    assert problems(path) == [
        f"{path}:2: tls_server_config.cert_file: missing: TLS needs cert_file and key_file",
        f"{path}:3: tls_server_config.key_file: must be a file name",
    ]


def test_missing_files_are_named(tmp_path: Path) -> None:
    path = write(tmp_path, "tls_server_config:\n  cert_file: nope.crt\n  key_file: nope.key\n")
    assert problems(path) == [
        f"{path}:2: tls_server_config.cert_file: {tmp_path / 'nope.crt'}: no such file",
        f"{path}:3: tls_server_config.key_file: {tmp_path / 'nope.key'}: no such file",
    ]


def test_a_key_of_another_certificate_is_refused(pki: Pki, tmp_path: Path) -> None:
    other = make_pki(tmp_path / "other")
    path = write(
        tmp_path,
        f"tls_server_config:\n  cert_file: {pki.server_cert}\n  key_file: {other.server_key}\n",
    )
    (problem,) = problems(path)
    assert "tls_server_config.cert_file: cannot load the certificate with key_file" in problem


def test_an_encrypted_key_is_refused_rather_than_prompted_for(pki: Pki, tmp_path: Path) -> None:
    write_encrypted_key(tmp_path / "locked.key", b"passphrase")
    path = write(
        tmp_path, f"tls_server_config:\n  cert_file: {pki.server_cert}\n  key_file: locked.key\n"
    )
    (problem,) = problems(path)
    assert "tls_server_config.key_file: the key is encrypted with a passphrase" in problem


def test_a_ca_file_without_certificates_is_refused(pki: Pki, tmp_path: Path) -> None:
    (tmp_path / "empty.crt").write_text("not a certificate\n")
    path = write(
        tmp_path,
        f"""\
tls_server_config:
  cert_file: {pki.server_cert}
  key_file: {pki.server_key}
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: empty.crt
""",
    )
    (problem,) = problems(path)
    assert "tls_server_config.client_ca_file: cannot load CA certificates" in problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- a\n- b\n", "must be a mapping with tls_server_config and/or basic_auth_users"),
        ("tls_server_config: [a]\n", "tls_server_config: must be a mapping"),
        ("basic_auth_users: [a]\n", "basic_auth_users: must be a mapping of user name"),
        ("a: [\n", "YAML syntax error"),
        (f"basic_auth_users: {{a: '{HASH}', a: '{HASH}'}}\n", "duplicate key 'a'"),
    ],
)
def test_malformed_files_are_refused(tmp_path: Path, text: str, expected: str) -> None:
    (problem,) = problems(write(tmp_path, text))
    assert expected in problem


def test_an_unreadable_file_is_one_clear_problem(tmp_path: Path) -> None:
    missing = tmp_path / "absent.yml"
    with pytest.raises(WebConfigError, match=rf"{missing}: cannot read: No such file"):
        load_web_config(missing)


def test_a_fifo_named_as_web_config_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "web.yml"
    os.mkfifo(fifo)
    with pytest.raises(WebConfigError, match=r"web\.yml: cannot read: .*not a regular file"):
        load_web_config(fifo)
