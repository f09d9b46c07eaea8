"""The Dagster resource that hands out SQL API clients.

Field names follow dagster-snowflake's `SnowflakeResource` where they mean the
same thing (`schema` is `schema_` in Python), so a user can move between the two;
this module does not import dagster_snowflake, which is slow to import.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from pydantic import Field

from tajo_assets.snowflake.auth import KeyPairAuth, resolve_base_url
from tajo_assets.snowflake.client import DEFAULT_QUERY_TAG, SqlApiClient


class SnowflakeSqlApiResource(dg.ConfigurableResource):
    """Snowflake through its SQL API v2, authenticated with a key pair.

    Pass secrets as `dg.EnvVar("NAME")`, never as literal strings: the key and
    its passphrase are then read from the environment at run time and never
    shown in the UI or in this resource's repr.
    """

    account: str = Field(
        description="Account identifier: orgname-account_name, orgname.account_name "
        "or a locator such as xy12345.us-east-2.aws."
    )
    user: str = Field(description="Snowflake user the key pair belongs to.")
    private_key: str = Field(
        repr=False,
        description="PKCS#8 PEM private key (or its base64); use dg.EnvVar.",
    )
    private_key_passphrase: str | None = Field(
        default=None,
        repr=False,
        description="Passphrase of an encrypted private key; use dg.EnvVar.",
    )
    warehouse: str | None = Field(
        default=None, description="Warehouse, case-sensitive as SHOW lists it."
    )
    database: str | None = Field(
        default=None, description="Database, case-sensitive as SHOW lists it."
    )
    schema_: str | None = Field(
        default=None,
        alias="schema",
        description="Schema, case-sensitive as SHOW lists it.",
    )
    role: str | None = Field(
        default=None, description="Role, case-sensitive as SHOW lists it."
    )
    base_url: str | None = Field(
        default=None,
        description="SQL API root; empty means https://<account>.snowflakecomputing"
        ".com. Plain http only for 127.0.0.1/localhost (the local sandbox).",
    )
    jwt_account: str | None = Field(
        default=None,
        description="Account name for the JWT claims, when it differs from the "
        "documented rule (some accounts need their locator).",
    )
    query_tag: str = Field(
        default=DEFAULT_QUERY_TAG,
        description="QUERY_TAG sent with every statement, to find them in "
        "QUERY_HISTORY.",
    )
    statement_timeout_s: int = Field(
        default=3600,
        ge=0,
        le=604_800,
        description="Seconds a statement may run before Snowflake cancels it; "
        "0 means Snowflake's maximum (7 days).",
    )
    timezone: str = Field(
        default="UTC",
        description="Session TIMEZONE of every statement: how TIMESTAMP_NTZ values "
        "compare with bound instants such as :last_sync.",
    )
    log_queries: bool = Field(
        default=False,
        description="Log each statement's SQL text at DEBUG (never bound values).",
    )

    @contextmanager
    def get_client(self) -> Iterator[SqlApiClient]:
        """A `SqlApiClient` for this account, closed when the block ends.

        Raises SnowflakeConfigurationError for an unusable account, base_url,
        private key or passphrase, before any request is sent.
        """
        auth = KeyPairAuth(
            self.account,
            self.user,
            self.private_key,
            self.private_key_passphrase,
            jwt_account=self.jwt_account,
        )
        with SqlApiClient(
            resolve_base_url(self.account, self.base_url),
            auth,
            warehouse=self.warehouse,
            database=self.database,
            schema=self.schema_,
            role=self.role,
            query_tag=self.query_tag,
            statement_timeout_s=self.statement_timeout_s,
            timezone=self.timezone,
            log_queries=self.log_queries,
        ) as client:
            yield client
