"""`tajo keygen`: the files it writes and the statement it prints."""

import base64
import stat

import pytest
from cryptography.hazmat.primitives import serialization

from tajo_assets import cli
from tajo_assets.setup.keygen import (
    KeygenError,
    public_key_body,
    register_statement,
    write_key_pair,
)
from tajo_assets.snowflake.auth import load_private_key, public_key_fingerprint
from tajo_assets.snowflake.errors import SnowflakeConfigurationError

PASSPHRASE_VAR = "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_private_key_is_pkcs8_readable_only_by_its_owner(tmp_path):
    files = write_key_pair(tmp_path / "keys", "rsa_key")

    private_pem = files.private_path.read_text()
    key = load_private_key(private_pem)
    assert files.private_path == tmp_path / "keys" / "rsa_key.p8"
    assert private_pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert mode(files.private_path) == 0o600
    assert key.key_size == 2048
    public = serialization.load_pem_public_key(files.public_path.read_bytes())
    assert public.public_numbers() == key.public_key().public_numbers()
    assert files.fingerprint == public_key_fingerprint(public)


def test_an_encrypted_key_opens_with_its_passphrase_only(tmp_path):
    files = write_key_pair(tmp_path, "rsa_key", passphrase="correct horse")

    private_pem = files.private_path.read_text()
    assert private_pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert "correct horse" not in private_pem
    with pytest.raises(SnowflakeConfigurationError, match="encrypted"):
        load_private_key(private_pem)
    with pytest.raises(SnowflakeConfigurationError, match="does not decrypt"):
        load_private_key(private_pem, "wrong horse")
    assert load_private_key(private_pem, "correct horse").key_size == 2048


def test_existing_keys_are_kept_unless_forced(tmp_path):
    first = write_key_pair(tmp_path, "rsa_key")
    kept = first.private_path.read_text()

    with pytest.raises(KeygenError, match="--force"):
        write_key_pair(tmp_path, "rsa_key")
    assert first.private_path.read_text() == kept

    second = write_key_pair(tmp_path, "rsa_key", force=True)
    assert second.private_path.read_text() != kept
    assert mode(second.private_path) == 0o600


def test_a_name_with_a_directory_in_it_is_refused(tmp_path):
    with pytest.raises(KeygenError, match="--out"):
        write_key_pair(tmp_path, "../elsewhere")
    assert list(tmp_path.iterdir()) == []


def test_the_statement_carries_the_public_key_body_on_one_line(tmp_path):
    files = write_key_pair(tmp_path, "rsa_key")

    statement = register_statement("svc_tajo", files.public_pem)

    body = public_key_body(files.public_pem)
    assert statement == f"ALTER USER SVC_TAJO SET RSA_PUBLIC_KEY='{body}';"
    der = base64.b64decode(body, validate=True)
    public = serialization.load_der_public_key(der)
    assert public_key_fingerprint(public) == files.fingerprint


def test_a_user_name_that_is_not_plain_is_quoted(tmp_path):
    files = write_key_pair(tmp_path, "rsa_key")

    statement = register_statement("x; DROP USER admin", files.public_pem)

    assert statement.startswith('ALTER USER "X; DROP USER ADMIN" SET RSA_PUBLIC_KEY=')


# -- the command -------------------------------------------------------------------


@pytest.fixture
def no_snowflake_environment(monkeypatch):
    for name in ("SNOWFLAKE_USER", PASSPHRASE_VAR, "TAJO_CONFIG"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("no_snowflake_environment")
def test_keygen_prints_the_statement_fingerprint_and_how_to_use_the_key(
    tmp_path, capsys
):
    code = cli.main(["keygen", "--out", str(tmp_path), "--user", "svc_tajo"])

    output = capsys.readouterr().out
    public_pem = (tmp_path / "rsa_key.pub").read_text()
    public = serialization.load_pem_public_key(public_pem.encode())
    assert code == 0
    assert register_statement("svc_tajo", public_pem) in output
    assert f"Fingerprint: {public_key_fingerprint(public)}" in output
    assert "DESC USER SVC_TAJO" in output
    assert f'SNOWFLAKE_PRIVATE_KEY="$(cat {tmp_path / "rsa_key.p8"})"' in output
    assert "PRIVATE KEY-----" not in output


@pytest.mark.usefixtures("no_snowflake_environment")
def test_keygen_takes_the_user_from_tajo_yaml(tmp_path, capsys):
    config = tmp_path / "tajo.yaml"
    config.write_text(
        "connectors:\n  snowflake:\n    account: myorg-myacct\n    user: svc_yaml\n"
    )

    code = cli.main(["keygen", "--out", str(tmp_path), "--config", str(config)])

    assert code == 0
    assert "ALTER USER SVC_YAML SET RSA_PUBLIC_KEY='" in capsys.readouterr().out


@pytest.mark.usefixtures("no_snowflake_environment")
def test_keygen_reads_the_user_from_an_oauth_config_without_its_secrets(
    tmp_path, capsys
):
    config = tmp_path / "tajo.yaml"
    config.write_text(
        "connectors:\n  snowflake:\n    account: myorg-myacct\n    user: svc_oauth\n"
        "    auth: {method: oauth, client_id: abc, client_secret: '${MY_SECRET}'}\n"
        "  brevo: {api_key: '${MY_BREVO_KEY}'}\n"
    )

    code = cli.main(["keygen", "--out", str(tmp_path), "--config", str(config)])

    captured = capsys.readouterr()
    assert code == 0
    assert "ALTER USER SVC_OAUTH SET RSA_PUBLIC_KEY='" in captured.out
    assert "could not read the user" not in captured.err


@pytest.mark.usefixtures("no_snowflake_environment")
def test_keygen_refuses_a_user_with_a_line_break_and_writes_nothing(tmp_path, capsys):
    user = "svc\nDROP USER ADMIN;"

    code = cli.main(["keygen", "--out", str(tmp_path), "--user", user])

    assert code == 2
    assert "control character" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


@pytest.mark.usefixtures("no_snowflake_environment")
def test_keygen_without_a_user_prints_a_placeholder_and_says_so(tmp_path, capsys):
    missing = tmp_path / "no-such.yaml"

    code = cli.main(["keygen", "--out", str(tmp_path), "--config", str(missing)])

    output = capsys.readouterr().out
    assert code == 0
    assert "ALTER USER <USER> SET RSA_PUBLIC_KEY='" in output
    assert "pass --user NAME" in output


@pytest.mark.usefixtures("no_snowflake_environment")
def test_keygen_encrypts_with_the_passphrase_from_the_environment(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("TAJO_TEST_PASSPHRASE", "from the environment")

    encrypt = ["--encrypt", "--passphrase-env", "TAJO_TEST_PASSPHRASE"]
    code = cli.main(["keygen", "--out", str(tmp_path), "--user", "svc", *encrypt])

    output = capsys.readouterr().out
    private_pem = (tmp_path / "rsa_key.p8").read_text()
    assert code == 0
    assert load_private_key(private_pem, "from the environment").key_size == 2048
    assert f"export {PASSPHRASE_VAR}=<the passphrase you chose>" in output
    assert "from the environment" not in output


@pytest.mark.usefixtures("no_snowflake_environment")
def test_keygen_asks_twice_for_a_passphrase_in_a_terminal(
    tmp_path, capsys, monkeypatch
):
    answers = iter(["typed secret", "typed secret"])
    monkeypatch.setattr(cli.sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt: next(answers))

    code = cli.main(["keygen", "--out", str(tmp_path), "--user", "u", "--encrypt"])

    private_pem = (tmp_path / "rsa_key.p8").read_text()
    assert code == 0
    assert load_private_key(private_pem, "typed secret").key_size == 2048
    assert "typed secret" not in capsys.readouterr().out


@pytest.mark.usefixtures("no_snowflake_environment")
def test_keygen_writes_nothing_when_the_two_passphrases_differ(
    tmp_path, capsys, monkeypatch
):
    answers = iter(["one secret", "another secret"])
    monkeypatch.setattr(cli.sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt: next(answers))

    code = cli.main(["keygen", "--out", str(tmp_path), "--user", "u", "--encrypt"])

    assert code == 2
    assert "differ" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


@pytest.mark.usefixtures("no_snowflake_environment")
def test_keygen_encrypt_without_a_terminal_or_variable_asks_for_the_variable(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(cli.sys.stdin, "isatty", lambda: False)

    code = cli.main(["keygen", "--out", str(tmp_path), "--encrypt"])

    assert code == 2
    assert f"set {PASSPHRASE_VAR}" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []
