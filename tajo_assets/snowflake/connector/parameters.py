"""What the connector is given: session parameters and `?` bindings.

Both follow the SQL API client, so the two transports set up their sessions
alike and accept and refuse the same bindings.
"""

from collections.abc import Mapping
from typing import Any

from tajo_assets.snowflake.bindings import bind


def session_parameters(
    query_tag: str, timezone_name: str, statement_timeout_s: int
) -> dict[str, Any]:
    """The session parameters the SQL API client sends with every statement.

    A timeout of 0 means Snowflake's maximum, as it does for the SQL API.
    """
    return {
        "QUERY_TAG": query_tag,
        "TIMEZONE": timezone_name,
        "STATEMENT_TIMEOUT_IN_SECONDS": statement_timeout_s,
    }


def connector_parameters(
    statement: str, values: Mapping[str, Any] | None, *, typed: bool
) -> tuple[str, list[Any]]:
    """`statement` with `?` for each `:name` it binds, and the parameters in order.

    Both the rewrite and the checks are `bind()`'s, so both transports accept
    and refuse the same bindings. `typed` gives `(type, value)` pairs holding the
    exact SQL API bindings, which the real connector sends as they are; else the
    Python values themselves, for stand-ins such as fakesnow.
    """
    bound = bind(statement, values)
    if not values:
        return bound.statement, []
    if typed:
        pairs = [(item["type"], item["value"]) for item in bound.bindings.values()]
        return bound.statement, pairs
    # Binding each name to itself reads back which name fills each `?`.
    order = bind(statement, {name: name for name in values})
    return bound.statement, [values[item["value"]] for item in order.bindings.values()]
