"""The running sandbox exports a key pair, an OAuth client and a PAT that all work."""

import pytest

from tajo_assets.sandbox.runner import USER, RunningSandbox, SandboxHome
from tajo_assets.snowflake import (
    KeyPairAuth,
    OAuthClientCredentialsAuth,
    ProgrammaticAccessTokenAuth,
    SqlApiClient,
)
from tajo_assets.snowflake.auth import default_oauth_token_url
from tajo_assets.snowflake.keys import generate_key_pair


@pytest.fixture
def running(tmp_path) -> RunningSandbox:
    """A sandbox home with keys but no sample warehouse (none is needed here)."""
    home = SandboxHome(tmp_path)
    pair = generate_key_pair()
    home.private_key_path.parent.mkdir(parents=True)
    home.private_key_path.write_text(pair.private_pem)
    home.public_key_path.write_text(pair.public_pem)
    home.brevo_key_path.write_text("xkeysib-sandbox-test\n")
    home.warehouse_dir.mkdir()
    with RunningSandbox(home) as sandbox:
        yield sandbox


def auth_for(method: str, env: dict[str, str]):
    if method == "key_pair":
        return KeyPairAuth(
            env["SNOWFLAKE_ACCOUNT"],
            env["SNOWFLAKE_USER"],
            env["SNOWFLAKE_PRIVATE_KEY"],
        )
    if method == "oauth":
        return OAuthClientCredentialsAuth(
            default_oauth_token_url(env["SNOWFLAKE_BASE_URL"]),
            env["SNOWFLAKE_OAUTH_CLIENT_ID"],
            env["SNOWFLAKE_OAUTH_CLIENT_SECRET"],
            "session:role:TAJO_ROLE",
        )
    return ProgrammaticAccessTokenAuth(env["SNOWFLAKE_USER"], env["SNOWFLAKE_PAT"])


@pytest.mark.parametrize("method", ["key_pair", "oauth", "pat"])
def test_each_exported_credential_signs_in(running, method):
    env = running.environment()

    with SqlApiClient(env["SNOWFLAKE_BASE_URL"], auth_for(method, env)) as client:
        result = client.execute("SELECT 1 AS N")

    assert list(result.rows()) == [(1,)]
    assert running.snowflake.statements[result.handle].user == USER
