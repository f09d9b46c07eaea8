"""The Dagster resource: settings, secrets from the environment, a working client."""

import dagster as dg
import pytest

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
