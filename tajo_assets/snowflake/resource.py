"""The Dagster resource that hands out SQL API clients.

Field names follow dagster-snowflake's `SnowflakeResource` where they mean the
same thing (`schema` is `schema_` in Python), so a user can move between the two;
this module does not import dagster_snowflake, which is slow to import.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import dagster as dg
from pydantic import Field

from tajo_assets.snowflake.auth import (
    Auth,
    KeyPairAuth,
    OAuthClientCredentialsAuth,
    ProgrammaticAccessTokenAuth,
    default_oauth_token_url,
    resolve_base_url,
    role_scope,
)
from tajo_assets.snowflake.client import (
    DEFAULT_PREFETCH_PARTITIONS,
    DEFAULT_QUERY_TAG,
    SqlApiClient,
)
from tajo_assets.snowflake.errors import SnowflakeConfigurationError


class SnowflakeSqlApiResource(dg.ConfigurableResource):
    """Snowflake through its SQL API v2, with a key pair, OAuth or a PAT.

    `auth_method` picks the credential: `key_pair` (private_key), `oauth`
    (oauth_client_id and oauth_client_secret, client credentials grant) or
    `pat` (token). Pass secrets as `dg.EnvVar("NAME")`, never as literal
    strings: they are then read from the environment at run time and never
    shown in the UI or in this resource's repr.
    """

    account: str = Field(
        description="Account identifier: orgname-account_name, orgname.account_name "
        "or a locator such as xy12345.us-east-2.aws."
    )
    user: str = Field(description="Snowflake user the statements run as.")
    auth_method: Literal["key_pair", "oauth", "pat"] = Field(
        default="key_pair",
        description="key_pair (private_key), oauth (oauth_client_id and "
        "oauth_client_secret) or pat (token).",
    )
    private_key: str | None = Field(
        default=None,
        repr=False,
        description="PKCS#8 PEM private key (or its base64), for key_pair; use "
        "dg.EnvVar.",
    )
    private_key_passphrase: str | None = Field(
        default=None,
        repr=False,
        description="Passphrase of an encrypted private key; use dg.EnvVar.",
    )
    oauth_client_id: str | None = Field(
        default=None, description="OAuth client id, for oauth."
    )
    oauth_client_secret: str | None = Field(
        default=None,
        repr=False,
        description="OAuth client secret, for oauth; use dg.EnvVar.",
    )
    oauth_token_url: str | None = Field(
        default=None,
        description="OAuth token endpoint; empty means Snowflake's own "
        "<base_url>/oauth/token-request.",
    )
    oauth_scope: str | None = Field(
        default=None,
        description="OAuth scope; empty means session:role:<role> when role is set.",
    )
    token: str | None = Field(
        default=None,
        repr=False,
        description="Programmatic access token, for pat; use dg.EnvVar.",
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
    prefetch_partitions: int = Field(
        default=DEFAULT_PREFETCH_PARTITIONS,
        ge=0,
        le=16,
        description="Result partitions fetched ahead while one is read; 0 reads "
        "them one at a time. Memory holds at most this many plus one.",
    )

    @contextmanager
    def get_client(self) -> Iterator[SqlApiClient]:
        """A `SqlApiClient` for this account, closed when the block ends.

        Raises SnowflakeConfigurationError for an unusable account, base_url or
        credential, before any request is sent.
        """
        base_url = resolve_base_url(self.account, self.base_url)
        with SqlApiClient(
            base_url,
            self._auth(base_url),
            warehouse=self.warehouse,
            database=self.database,
            schema=self.schema_,
            role=self.role,
            query_tag=self.query_tag,
            statement_timeout_s=self.statement_timeout_s,
            timezone=self.timezone,
            log_queries=self.log_queries,
            prefetch_partitions=self.prefetch_partitions,
        ) as client:
            yield client

    def _auth(self, base_url: str) -> Auth:
        """The credential `auth_method` names, from the fields it needs."""
        if self.auth_method == "oauth":
            return OAuthClientCredentialsAuth(
                self.oauth_token_url or default_oauth_token_url(base_url),
                self._required("oauth_client_id", self.oauth_client_id),
                self._required("oauth_client_secret", self.oauth_client_secret),
                self.oauth_scope or role_scope(self.role),
            )
        if self.auth_method == "pat":
            return ProgrammaticAccessTokenAuth(
                self.user, self._required("token", self.token)
            )
        return KeyPairAuth(
            self.account,
            self.user,
            self._required("private_key", self.private_key),
            self.private_key_passphrase,
            jwt_account=self.jwt_account,
        )

    def _required(self, name: str, value: str | None) -> str:
        if not value:
            raise SnowflakeConfigurationError(
                f"{name} is not set, and auth_method {self.auth_method} needs it",
                advice=f"pass {name} (a secret as dg.EnvVar), or choose another "
                "auth_method",
            )
        return value
