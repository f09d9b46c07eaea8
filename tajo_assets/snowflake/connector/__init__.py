"""Snowflake through its Python connector, behind the SQL API client's interface.

`SnowflakeConnectorResource` opens a connection with dagster-snowflake's
`SnowflakeResource` and hands out a `SnowflakeConnectorClient`: the same
`execute`, `execute_multi`, `cancel` and results as `SqlApiClient`, with the same
`:name` bindings, the same decoded Python values and the same `SnowflakeError`
tree. The sync engine cannot tell the two transports apart.

Importing `snowflake.connector` or `dagster_snowflake` costs seconds and hundreds
of MB, so both are imported inside functions only, when a client is opened or
used; importing this package imports neither.

The SQL API runs each request in a fresh session context; a connection keeps
one session, where CREATE SCHEMA or USE would move every later statement to
another schema. The client therefore puts the session back in its home
database and schema after each `execute` and `execute_multi` that moved it.

Differences from the SQL API transport, all from the connector itself:
`execute_multi` runs its statements one by one on the connection (there is no
parent request; `handle` is the first statement's query id), and a per-call
`timeout_s` is enforced by the connector, which cancels the statement.

Modules: `client` (the client and its session), `parameters` (session
parameters and `?` bindings), `results` (statement results and their columns),
`values` (connector values as the SQL API transport gives them), `errors`
(connector errors as SnowflakeErrors), `resource` (the Dagster resource).
"""

from tajo_assets.snowflake.connector.client import (
    DEFAULT_FETCH_ROWS,
    SnowflakeConnectorClient,
)
from tajo_assets.snowflake.connector.errors import translate_error
from tajo_assets.snowflake.connector.parameters import (
    connector_parameters,
    session_parameters,
)
from tajo_assets.snowflake.connector.resource import SnowflakeConnectorResource
from tajo_assets.snowflake.connector.results import (
    ConnectorMultiStatementResult,
    ConnectorStatementResult,
)
from tajo_assets.snowflake.connector.values import (
    Converter,
    RowConverter,
    converter_for,
)

__all__ = [
    "DEFAULT_FETCH_ROWS",
    "ConnectorMultiStatementResult",
    "ConnectorStatementResult",
    "Converter",
    "RowConverter",
    "SnowflakeConnectorClient",
    "SnowflakeConnectorResource",
    "connector_parameters",
    "converter_for",
    "session_parameters",
    "translate_error",
]
