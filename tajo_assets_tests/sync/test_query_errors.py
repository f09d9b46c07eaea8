"""Which Snowflake refusals of an audience query are the query's own fault."""

import pytest

from tajo_assets.snowflake import SnowflakeStatementError
from tajo_assets.sync.state import _query_failed, _query_fault


@pytest.mark.parametrize(
    ("code", "sql_state", "the_query"),
    [
        pytest.param("001003", "42000", True, id="syntax-error"),
        pytest.param("002003", "42S02", True, id="unknown-table"),
        pytest.param("000904", "42000", True, id="invalid-identifier"),
        pytest.param("100038", "22018", True, id="failed-cast-of-its-data"),
        pytest.param("000603", "XX000", False, id="internal-error"),
        pytest.param("000630", None, False, id="no-sql-state"),
    ],
)
def test_only_errors_of_the_query_itself_are_laid_at_its_door(
    code, sql_state, the_query
):
    error = SnowflakeStatementError("failed", code=code, sql_state=sql_state)

    assert _query_fault(error) is the_query


def test_the_message_names_the_query_the_setting_and_the_handle():
    error = SnowflakeStatementError(
        "SQL compilation error: Object 'NOWHERE.T' does not exist",
        code="002003",
        sql_state="42S02",
        statement_handle="01b2-handle",
    )

    message = str(_query_failed("customer_segments", error))

    assert message.startswith(
        "query customer_segments failed in Snowflake: SQL compilation error: "
        "Object 'NOWHERE.T' does not exist (code 002003, statement handle "
        "01b2-handle); fix connectors.snowflake.queries.customer_segments in "
        "tajo.yaml"
    )
