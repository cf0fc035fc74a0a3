"""Secret files: read only when regular and small, never waited for, and only
where the policy lets an intent name them (docs/intent-file.md, "Secret files")."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sprmon.intentfile import IntentFileError, load_intent
from sprmon.inventory import SecretRef
from sprmon.secrets import (
    SECRET_FILE_LIMIT,
    SECRETS_DIR_ENV,
    SecretError,
    resolve_secret,
    secret_file_problem,
)
from tests.intentfile.intentfile_helpers import edit

SECRET = "Sup3rS3cretCommunity"
COMMUNITY = "snmp: {version: 2c, community: {env: SPRMON_SNMP_COMMUNITY}}"


def _resolve_error(path: str | Path) -> str:
    with pytest.raises(SecretError) as caught:
        resolve_secret(SecretRef(file=str(path)))
    return str(caught.value)


# --- reading -------------------------------------------------------------------------------------


def test_a_named_pipe_as_a_secret_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "community.secret"
    os.mkfifo(fifo)
    assert _resolve_error(fifo) == f"secret file {fifo} is a named pipe (FIFO), not a regular file"


def test_dev_zero_as_a_secret_is_refused_without_reading_it() -> None:
    assert _resolve_error("/dev/zero") == (
        "secret file /dev/zero is a character device, not a regular file"
    )


def test_a_secret_file_past_its_limit_is_refused_and_not_quoted(tmp_path: Path) -> None:
    path = tmp_path / "community.secret"
    path.write_text(SECRET * 4000)
    message = _resolve_error(path)
    assert message == (
        f"secret file {path} is larger than 64 KiB (78.1 KiB): a secret is far shorter, "
        "is it the right file?"
    )
    assert SECRET not in message


def test_a_secret_at_its_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "community.secret"
    path.write_text("s" * SECRET_FILE_LIMIT)
    assert resolve_secret(SecretRef(file=str(path))).reveal() == "s" * SECRET_FILE_LIMIT


# --- where an intent may name a secret file ------------------------------------------------------


def _intent(folder: Path, secret_file: str) -> Path:
    text = edit(COMMUNITY, f"snmp: {{version: 2c, community: {{file: {secret_file}}}}}")
    path = folder / "intent.yaml"
    path.write_text(text)
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(IntentFileError) as caught:
        load_intent(path)
    return [str(problem) for problem in caught.value.problems]


def test_a_secret_file_next_to_the_intent_or_below_it_is_allowed(tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    assert load_intent(_intent(tmp_path, "community.secret")).sites
    assert load_intent(_intent(tmp_path, "secrets/community.secret")).sites


def test_a_relative_path_out_of_the_intents_folder_is_refused_at_its_line(
    tmp_path: Path,
) -> None:
    # It was read and sent as the community to the intent's addresses.
    intent = _intent(tmp_path, "../../../../etc/shadow")
    written = tmp_path / "../../../../etc/shadow"
    assert _problems(intent) == [
        f"{intent}:15: credentials.lab.snmp.community.file: secret file {written} (that is, "
        f"/etc/shadow) is outside the intent file's folder ({tmp_path}): keep secret files "
        f"next to the intent, or name their folder in the environment variable {SECRETS_DIR_ENV}"
    ]


def test_an_absolute_path_elsewhere_is_refused(tmp_path: Path) -> None:
    found = _problems(_intent(tmp_path, "/etc/ssh/ssh_host_ed25519_key"))
    assert len(found) == 1
    assert (
        "secret file /etc/ssh/ssh_host_ed25519_key is outside the intent file's folder"
        in (found[0])
    )


def test_a_link_in_the_intents_folder_to_a_file_elsewhere_is_refused(tmp_path: Path) -> None:
    (tmp_path / "community.secret").symlink_to("/etc/passwd")
    found = _problems(_intent(tmp_path, "community.secret"))
    assert len(found) == 1
    assert f"{tmp_path / 'community.secret'} (that is, /etc/passwd) is outside" in found[0]


def test_a_secrets_folder_named_in_the_environment_is_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "community").write_text(SECRET)
    intent_folder = tmp_path / "intent"
    intent_folder.mkdir()
    intent = _intent(intent_folder, str(vault / "community"))
    assert _problems(intent)[0].endswith(
        f"name their folder in the environment variable {SECRETS_DIR_ENV}"
    )
    monkeypatch.setenv(SECRETS_DIR_ENV, f"/nonexistent{os.pathsep}{vault}")
    assert load_intent(intent).sites


def test_the_environment_folders_are_named_when_a_file_is_outside_them_too(tmp_path: Path) -> None:
    problem = secret_file_problem(
        "/etc/shadow", tmp_path, environ={SECRETS_DIR_ENV: "/run/secrets"}
    )
    assert problem == (
        f"secret file /etc/shadow is outside the intent file's folder ({tmp_path}) or a folder "
        f"in {SECRETS_DIR_ENV} (/run/secrets): keep secret files next to the intent, or name "
        f"their folder in the environment variable {SECRETS_DIR_ENV}"
    )


def test_kubernetes_style_links_inside_the_folder_are_allowed(tmp_path: Path) -> None:
    (tmp_path / "..2026_12_01").mkdir()
    (tmp_path / "..2026_12_01" / "community").write_text(SECRET)
    (tmp_path / "..data").symlink_to("..2026_12_01")
    (tmp_path / "community").symlink_to("..data/community")
    assert load_intent(_intent(tmp_path, "community")).sites


def test_every_secret_of_a_credential_and_the_mqtt_password_are_held_to_the_policy(
    tmp_path: Path,
) -> None:
    text = (
        edit(
            COMMUNITY,
            "snmp: {version: 3, user: u, auth: {protocol: sha256, key: {file: /etc/a}},"
            " priv: {protocol: aes128, key: {file: /etc/b}}}",
        ).replace("password: {env: SPRMON_GNMI_PASSWORD}", "password: {file: /etc/c}")
        + "mqtt: {host: localhost, username: u, password: {file: /etc/d}}\n"
    )
    path = tmp_path / "intent.yaml"
    path.write_text(text)
    fields = [problem.split(": ")[1] for problem in _problems(path)]
    assert fields == [
        "credentials.lab.snmp.auth.key.file",
        "credentials.lab.snmp.priv.key.file",
        "credentials.gnmi-ro.gnmi.password.file",
        "mqtt.password.file",
    ]
