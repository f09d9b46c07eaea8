"""The Dagster resource: settings, secrets from the environment, a working client."""

import dagster as dg
import pytest

from tajo_assets.sandbox.snowflake import OAuthClient
from tajo_assets.snowflake import (
    SnowflakeConfigurationError,
    SnowflakeSqlApiResource,
    SqlApiClient,
)
from tajo_assets_tests.snowflake.conftest import ACCOUNT, DATABASE, SCHEMA, USER

KEY_ENV = "TAJO_TEST_SNOWFLAKE_PRIVATE_KEY"
PASSPHRASE_ENV = "TAJO_TEST_SNOWFLAKE_PASSPHRASE"


def test_schema_alias_matches_dagster_snowflake():
    resource = SnowflakeSqlApiResource(
        account="myorg-myacct", user="u", private_key="k", schema="MARKETING"
    )

    assert resource.schema_ == "MARKETING"


def test_repr_never_shows_the_key_or_passphrase():
    resource = SnowflakeSqlApiResource(
        account="myorg-myacct",
        user="u",
        private_key="-----BEGIN PRIVATE KEY-----secret-body",
        private_key_passphrase="pass-secret",
    )

    text = repr(resource) + str(resource)

    assert "secret-body" not in text
    assert "pass-secret" not in text
    assert "myorg-myacct" in text


def test_materialization_reads_key_from_the_environment(
    sandbox, key_pair, traffic, monkeypatch
):
    monkeypatch.setenv(KEY_ENV, key_pair.encrypted_private_pem)
    monkeypatch.setenv(PASSPHRASE_ENV, key_pair.passphrase)
    seen = {}

    @dg.asset
    def answer(snowflake: SnowflakeSqlApiResource) -> None:
        with snowflake.get_client() as client:
            result = client.execute("SELECT :n * 2 AS ANSWER", {"n": 21})
            seen["rows"] = list(result.rows())
            seen["handle"] = result.handle

    resource = SnowflakeSqlApiResource(
        account=ACCOUNT.lower(),
        user=USER.lower(),
        private_key=dg.EnvVar(KEY_ENV),
        private_key_passphrase=dg.EnvVar(PASSPHRASE_ENV),
        database=DATABASE,
        schema=SCHEMA,
        base_url=sandbox.url,
        query_tag="tajo-resource-test",
    )

    outcome = dg.materialize([answer], resources={"snowflake": resource})

    assert outcome.success
    assert seen["rows"] == [(42,)]
    record = sandbox.sandbox.statements[seen["handle"]]
    assert record.query_tag == "tajo-resource-test"
    assert record.timeout_s == 3600


def test_unusable_key_fails_before_any_request(sandbox):
    resource = SnowflakeSqlApiResource(
        account=ACCOUNT, user=USER, private_key="not a key", base_url=sandbox.url
    )

    with pytest.raises(SnowflakeConfigurationError, match="private_key"):
        with resource.get_client():
            pass


def test_plain_http_base_url_is_refused_off_loopback(key_pair):
    resource = SnowflakeSqlApiResource(
        account="myorg-myacct",
        user="u",
        private_key=key_pair.private_pem,
        base_url="http://myorg-myacct.snowflakecomputing.com",
    )

    with pytest.raises(SnowflakeConfigurationError, match="base_url"):
        with resource.get_client():
            pass


def test_default_base_url_comes_from_the_account(key_pair):
    resource = SnowflakeSqlApiResource(
        account="myorg.my_acct", user="u", private_key=key_pair.private_pem
    )

    with resource.get_client() as client:
        assert isinstance(client, SqlApiClient)
        assert client.base_url == "https://myorg-my_acct.snowflakecomputing.com"


SECRET_ENV = "TAJO_TEST_SNOWFLAKE_OAUTH_SECRET"
PAT_ENV = "TAJO_TEST_SNOWFLAKE_PAT"


def run_count(resource: SnowflakeSqlApiResource) -> dict:
    seen = {}

    @dg.asset
    def counted(snowflake: SnowflakeSqlApiResource) -> None:
        with snowflake.get_client() as client:
            result = client.execute("SELECT 3 AS N")
            seen["rows"] = list(result.rows())
            seen["handle"] = result.handle

    assert dg.materialize([counted], resources={"snowflake": resource}).success
    return seen


def test_oauth_materialization_asks_for_the_role_scope(sandbox, traffic, monkeypatch):
    sandbox.sandbox.register_oauth_client(
        "resource-app", OAuthClient("resource-secret", USER, ("TAJO_ROLE",))
    )
    monkeypatch.setenv(SECRET_ENV, "resource-secret")
    resource = SnowflakeSqlApiResource(
        account=ACCOUNT,
        user=USER,
        auth_method="oauth",
        oauth_client_id="resource-app",
        oauth_client_secret=dg.EnvVar(SECRET_ENV),
        role="TAJO_ROLE",
        base_url=sandbox.url,
    )

    seen = run_count(resource)

    assert seen["rows"] == [(3,)]
    assert sandbox.sandbox.statements[seen["handle"]].role == "TAJO_ROLE"
    assert "resource-secret" not in repr(resource)


def test_pat_materialization_reads_the_token_from_the_environment(
    sandbox, traffic, monkeypatch
):
    sandbox.sandbox.register_pat(USER, "resource-pat-value")
    monkeypatch.setenv(PAT_ENV, "resource-pat-value")
    resource = SnowflakeSqlApiResource(
        account=ACCOUNT,
        user=USER,
        auth_method="pat",
        token=dg.EnvVar(PAT_ENV),
        base_url=sandbox.url,
    )

    seen = run_count(resource)

    assert seen["rows"] == [(3,)]
    assert sandbox.sandbox.statements[seen["handle"]].user == USER
    assert "resource-pat-value" not in repr(resource)


@pytest.mark.parametrize(
    ("method", "missing"),
    [
        ("key_pair", "private_key"),
        ("oauth", "oauth_client_id"),
        ("pat", "token"),
    ],
)
def test_a_missing_credential_names_the_field_and_the_method(method, missing):
    resource = SnowflakeSqlApiResource(
        account="myorg-myacct", user="u", auth_method=method
    )

    with pytest.raises(SnowflakeConfigurationError) as raised:
        with resource.get_client():
            pass

    assert f"{missing} is not set, and auth_method {method} needs it" in str(
        raised.value
    )
