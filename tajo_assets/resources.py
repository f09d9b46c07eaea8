"""Dagster resources built from tajo.yaml; secrets only as EnvVar references."""

import dagster as dg

from tajo_assets.brevo import BrevoResource
from tajo_assets.config import TajoConfig
from tajo_assets.snowflake import SnowflakeSqlApiResource

DEFAULT_USER_ENV = "SNOWFLAKE_USER"


def build_resources(config: TajoConfig) -> dict[str, dg.ConfigurableResource]:
    """The `snowflake` and `brevo` resources the assets ask for."""
    return {
        "snowflake": _snowflake_resource(config),
        "brevo": _brevo_resource(config),
    }


def _snowflake_resource(config: TajoConfig) -> SnowflakeSqlApiResource:
    snowflake = config.snowflake
    auth = snowflake.auth
    passphrase = auth.private_key_passphrase
    return SnowflakeSqlApiResource(
        account=snowflake.account,
        user=snowflake.user or dg.EnvVar(DEFAULT_USER_ENV),
        private_key=dg.EnvVar(auth.private_key.env_var),
        private_key_passphrase=dg.EnvVar(passphrase.env_var) if passphrase else None,
        warehouse=snowflake.warehouse,
        database=snowflake.database,
        schema=snowflake.schema_,
        role=snowflake.role,
        base_url=snowflake.base_url,
        jwt_account=snowflake.jwt_account,
        query_tag=snowflake.query_tag,
        statement_timeout_s=snowflake.statement_timeout_s,
        timezone=snowflake.timezone,
        log_queries=snowflake.log_queries,
    )


def _brevo_resource(config: TajoConfig) -> BrevoResource:
    brevo = config.brevo
    return BrevoResource(
        api_key=dg.EnvVar(brevo.api_key.env_var),
        api_key_env=brevo.api_key.env_var,
        base_url=brevo.base_url,
    )
