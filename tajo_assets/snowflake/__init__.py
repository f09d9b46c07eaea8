"""Snowflake through its SQL API v2: key-pair, OAuth or PAT auth, typed results.

`SnowflakeSqlApiResource` is the Dagster resource; its `get_client()` yields a
`SqlApiClient` whose `execute()` returns a `StatementResult` that streams decoded
rows partition by partition. Errors form one tree under `SnowflakeError`.
"""

from tajo_assets.snowflake.auth import (
    AccountIdentifier,
    Auth,
    KeyPairAuth,
    OAuthClientCredentialsAuth,
    ProgrammaticAccessTokenAuth,
    resolve_base_url,
)
from tajo_assets.snowflake.bindings import BoundStatement, bind, placeholder_names
from tajo_assets.snowflake.client import (
    MultiStatementResult,
    SqlApiClient,
    StatementResult,
)
from tajo_assets.snowflake.connector import (
    SnowflakeConnectorClient,
    SnowflakeConnectorResource,
)
from tajo_assets.snowflake.decode import Column
from tajo_assets.snowflake.errors import (
    SnowflakeAuthError,
    SnowflakeConfigurationError,
    SnowflakeError,
    SnowflakeRequestError,
    SnowflakeResponseError,
    SnowflakeStatementError,
    SnowflakeTimeoutError,
    SnowflakeUnavailableError,
)
from tajo_assets.snowflake.resource import SnowflakeSqlApiResource
from tajo_assets.snowflake.transport import SnowflakeTransport

__all__ = [
    "AccountIdentifier",
    "Auth",
    "BoundStatement",
    "Column",
    "KeyPairAuth",
    "MultiStatementResult",
    "OAuthClientCredentialsAuth",
    "ProgrammaticAccessTokenAuth",
    "SnowflakeAuthError",
    "SnowflakeConfigurationError",
    "SnowflakeConnectorClient",
    "SnowflakeConnectorResource",
    "SnowflakeError",
    "SnowflakeRequestError",
    "SnowflakeResponseError",
    "SnowflakeSqlApiResource",
    "SnowflakeStatementError",
    "SnowflakeTimeoutError",
    "SnowflakeTransport",
    "SnowflakeUnavailableError",
    "SqlApiClient",
    "StatementResult",
    "bind",
    "placeholder_names",
    "resolve_base_url",
]
