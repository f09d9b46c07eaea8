"""`tajo keygen` end to end: its ALTER USER statement, applied in the sandbox
over the SQL API, lets the new key sign in."""

from tajo_assets import cli
from tajo_assets.snowflake import KeyPairAuth, SnowflakeAuthError, SqlApiClient
from tajo_assets_tests.sandbox.snowflake_fixtures import ACCOUNT, USER

NEW_USER = "svc_keygen_e2e"


def client(url: str, user: str, private_pem: str) -> SqlApiClient:
    return SqlApiClient(url, KeyPairAuth(ACCOUNT, user, private_pem))


def signs_in(url: str, auth: KeyPairAuth) -> bool:
    with SqlApiClient(url, auth) as session:
        try:
            return list(session.execute("SELECT 1 AS SIGNED_IN").rows()) == [(1,)]
        except SnowflakeAuthError:
            return False


def printed(output: str, prefix: str) -> str:
    return next(line.strip() for line in output.splitlines() if prefix in line)


def test_the_printed_statement_registers_the_new_key(
    shared_snowflake, key_pair, tmp_path, capsys, monkeypatch
):
    url = shared_snowflake.server.url
    monkeypatch.setenv("TAJO_E2E_PASSPHRASE", "e2e passphrase")
    encrypt = ["--encrypt", "--passphrase-env", "TAJO_E2E_PASSPHRASE"]

    code = cli.main(["keygen", "--out", str(tmp_path), "--user", NEW_USER, *encrypt])

    output = capsys.readouterr().out
    statement = printed(output, "ALTER USER ")
    fingerprint = printed(output, "Fingerprint: ").removeprefix("Fingerprint: ")
    private_pem = (tmp_path / "rsa_key.p8").read_text()
    new_key = KeyPairAuth(ACCOUNT, NEW_USER, private_pem, "e2e passphrase")
    assert code == 0
    assert new_key.fingerprint == fingerprint
    assert not signs_in(url, new_key)

    with client(url, USER, key_pair.private_pem) as admin:
        applied = admin.execute(statement)

    assert list(applied.rows()) == [("Statement executed successfully.",)]
    assert signs_in(url, new_key)
