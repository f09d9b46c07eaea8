"""Dagster resources built from tajo.yaml; secrets only as EnvVar references."""

from typing import Any

import dagster as dg

from tajo_assets.brevo import BrevoResource
from tajo_assets.config import (
    AuthMethod,
    SecretRef,
    SnowflakeAuth,
    TajoConfig,
    Transport,
)
from tajo_assets.snowflake import SnowflakeConnectorResource, SnowflakeSqlApiResource

DEFAULT_USER_ENV = "SNOWFLAKE_USER"


def build_resources(config: TajoConfig) -> dict[str, dg.ConfigurableResource]:
    """The `snowflake` and `brevo` resources the assets ask for."""
    return {
        "snowflake": _snowflake_resource(config),
        "brevo": _brevo_resource(config),
    }


def _snowflake_resource(config: TajoConfig) -> dg.ConfigurableResource:
    """The transport tajo.yaml selects; both hand out clients of one interface."""
    if config.snowflake.transport == Transport.CONNECTOR:
        return _connector_resource(config)
    return _sql_api_resource(config)


def _sql_api_resource(config: TajoConfig) -> SnowflakeSqlApiResource:
    snowflake = config.snowflake
    return SnowflakeSqlApiResource(
        **_session_settings(config),
        **_credentials(snowflake.auth),
        base_url=snowflake.base_url,
        jwt_account=snowflake.jwt_account,
    )


def _connector_resource(config: TajoConfig) -> SnowflakeConnectorResource:
    snowflake = config.snowflake
    return SnowflakeConnectorResource(
        **_session_settings(config),
        **_connector_credentials(snowflake.auth),
        fetch_rows=snowflake.fetch_rows,
    )


def _session_settings(config: TajoConfig) -> dict[str, Any]:
    """The settings both transports take under the same names."""
    snowflake = config.snowflake
    return {
        "account": snowflake.account,
        "user": snowflake.user or dg.EnvVar(DEFAULT_USER_ENV),
        "warehouse": snowflake.warehouse,
        "database": snowflake.database,
        "schema": snowflake.schema_,
        "role": snowflake.role,
        "query_tag": snowflake.query_tag,
        "statement_timeout_s": snowflake.statement_timeout_s,
        "timezone": snowflake.timezone,
        "log_queries": snowflake.log_queries,
    }


def _connector_credentials(auth: SnowflakeAuth) -> dict[str, Any]:
    """The one credential of auth.method, as SnowflakeConnectorResource takes it."""
    if auth.method == AuthMethod.PAT:
        return {"programmatic_access_token": _env(auth.token)}
    if auth.method == AuthMethod.OAUTH:
        return {
            "oauth_client_id": auth.client_id,
            "oauth_client_secret": _env(auth.client_secret),
            "oauth_token_url": auth.token_url,
            "oauth_scope": auth.scope,
        }
    return {
        "private_key": _env(auth.private_key),
        "private_key_passphrase": _env(auth.private_key_passphrase),
    }


def _credentials(auth: SnowflakeAuth) -> dict[str, Any]:
    """The resource fields of the auth method; secrets only as EnvVar."""
    if auth.method == AuthMethod.OAUTH:
        return {
            "auth_method": "oauth",
            "oauth_client_id": auth.client_id,
            "oauth_client_secret": _env(auth.client_secret),
            "oauth_token_url": auth.token_url,
            "oauth_scope": auth.scope,
        }
    if auth.method == AuthMethod.PAT:
        return {"auth_method": "pat", "token": _env(auth.token)}
    return {
        "auth_method": "key_pair",
        "private_key": _env(auth.private_key),
        "private_key_passphrase": _env(auth.private_key_passphrase),
    }


def _env(reference: SecretRef | None) -> dg.EnvVar | None:
    return dg.EnvVar(reference.env_var) if reference else None


def _brevo_resource(config: TajoConfig) -> BrevoResource:
    brevo = config.brevo
    return BrevoResource(
        api_key=dg.EnvVar(brevo.api_key.env_var),
        api_key_env=brevo.api_key.env_var,
        base_url=brevo.base_url,
        tier=brevo.tier.value,
    )
