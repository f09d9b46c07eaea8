"""Resources built from tajo.yaml: each auth method's settings, secrets as EnvVar."""

import textwrap

import dagster as dg
import fakesnow
import pytest
import snowflake.connector

from tajo_assets.assets.warehouse import build_audience_asset
from tajo_assets.automation.partitions import sync_partitions
from tajo_assets.config import ConfigError, load_config
from tajo_assets.resources import build_resources
from tajo_assets.snowflake import SnowflakeConnectorResource
from tajo_assets.sync.state import SyncTables, definition_hash

CONFIG = """\
connectors:
  snowflake:
    account: myorg-myaccount
    user: TAJO
    role: TAJO_ROLE
    auth:
{auth}
"""


def snowflake_resource(tmp_path, auth: str, env: dict[str, str]):
    path = tmp_path / "tajo.yaml"
    path.write_text(CONFIG.format(auth=textwrap.indent(auth, "      ")))
    return build_resources(load_config(path, env=env))["snowflake"]


def test_the_brevo_tier_reaches_the_resource(tmp_path):
    path = tmp_path / "tajo.yaml"
    auth = textwrap.indent("method: key_pair", "      ")
    path.write_text(CONFIG.format(auth=auth) + "  brevo:\n    tier: extended\n")

    resource = build_resources(load_config(path, env={}))["brevo"]

    assert resource.tier == "extended"
    assert resource.api_key == dg.EnvVar("BREVO_API_KEY")


def test_key_pair_passes_the_key_as_an_env_var(tmp_path):
    resource = snowflake_resource(tmp_path, "method: key_pair", {})

    assert resource.auth_method == "key_pair"
    assert resource.private_key == dg.EnvVar("SNOWFLAKE_PRIVATE_KEY")


def test_oauth_passes_client_settings_and_the_secret_as_an_env_var(tmp_path):
    auth = (
        "method: oauth\n"
        "client_id: ${CLIENT_ID}\n"
        "client_secret: ${CLIENT_SECRET}\n"
        "scope: session:role:OTHER_ROLE\n"
    )
    env = {"CLIENT_ID": "tajo-app", "CLIENT_SECRET": "never-in-the-model"}

    resource = snowflake_resource(tmp_path, auth, env)

    assert resource.auth_method == "oauth"
    assert resource.oauth_client_id == "tajo-app"
    assert resource.oauth_client_secret == dg.EnvVar("CLIENT_SECRET")
    assert resource.oauth_scope == "session:role:OTHER_ROLE"
    assert resource.private_key is None


def test_pat_passes_the_token_as_an_env_var(tmp_path):
    resource = snowflake_resource(
        tmp_path, "method: pat\ntoken: ${MY_PAT}", {"MY_PAT": "x"}
    )

    assert resource.auth_method == "pat"
    assert resource.token == dg.EnvVar("MY_PAT")
    assert resource.private_key is None


CONNECTOR_SETTINGS = """\
    transport: connector
    database: TRANSPORT_TEST
    schema: PUBLIC
    queries:
      members: SELECT email FROM members WHERE joined > :last_sync
"""
MEMBERS_TABLE = (
    "CREATE DATABASE IF NOT EXISTS TRANSPORT_TEST",
    "CREATE SCHEMA IF NOT EXISTS TRANSPORT_TEST.PUBLIC",
    "CREATE OR REPLACE TABLE TRANSPORT_TEST.PUBLIC.MEMBERS AS SELECT * FROM VALUES "
    "('a@example.com', '2026-01-01'::TIMESTAMP_NTZ), "
    "('b@example.com', '2026-02-01'::TIMESTAMP_NTZ) AS t(email, joined)",
)


def test_transport_connector_selects_the_connector_resource(tmp_path):
    path = tmp_path / "tajo.yaml"
    path.write_text(
        CONFIG.format(auth="      method: pat\n      token: ${MY_PAT}")
        + "    transport: connector\n    fetch_rows: 500\n"
    )

    resource = build_resources(load_config(path, env={"MY_PAT": "x"}))["snowflake"]

    assert isinstance(resource, SnowflakeConnectorResource)
    assert resource.programmatic_access_token == dg.EnvVar("MY_PAT")
    assert resource.fetch_rows == 500
    assert resource.private_key is None


def test_base_url_with_the_connector_transport_is_refused(tmp_path):
    path = tmp_path / "tajo.yaml"
    path.write_text(
        CONFIG.format(auth="      method: key_pair")
        + "    transport: connector\n    base_url: http://127.0.0.1:8765\n"
    )

    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})

    message = str(caught.value)
    assert "base_url" in message
    assert "applies to the sql_api transport only" in message


def test_an_audience_materializes_through_the_connector_transport(
    tmp_path, key_pair, monkeypatch
):
    """The configured transport is a drop-in: the audience asset runs on it."""
    monkeypatch.setenv("SNOWFLAKE_PRIVATE_KEY", key_pair.private_pem)
    monkeypatch.setenv("BREVO_API_KEY", "unused-here")
    path = tmp_path / "tajo.yaml"
    path.write_text(CONFIG.format(auth="      method: key_pair") + CONNECTOR_SETTINGS)
    config = load_config(path, env={"SNOWFLAKE_PRIVATE_KEY": key_pair.private_pem})
    sql = config.queries()["members"]

    with fakesnow.patch():
        with snowflake.connector.connect() as connection:
            for statement in MEMBERS_TABLE:
                connection.cursor().execute(statement)
        with dg.instance_for_test(
            overrides={"python_logs": {"managed_python_loggers": []}}
        ) as instance:
            result = dg.materialize(
                [
                    build_audience_asset(
                        SyncTables(config.snowflake.state_schema, "members", "members"),
                        sql,
                        config,
                        definition_hash(sql, None),
                        partitions_def=sync_partitions(config),
                    )
                ],
                # Members who joined from 2026-01-01 06:00 on: b@ only.
                partition_key="2026-01-01-06:00",
                resources=build_resources(config),
                instance=instance,
                raise_on_error=False,
            )

    assert result.success
    [materialization] = result.asset_materializations_for_node("snowflake__members")
    assert materialization.metadata["rows"].value == 1
