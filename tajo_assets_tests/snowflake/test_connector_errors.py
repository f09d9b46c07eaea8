"""The connector transport's boundary: error translation, bindings, lazy imports.

The errors are the connector's own exception classes, built the way the
connector raises them; nothing of ours is replaced.
"""

import subprocess
import sys
from datetime import UTC, date, datetime

import pytest
from snowflake.connector import errors

from tajo_assets.snowflake import (
    SnowflakeAuthError,
    SnowflakeConfigurationError,
    SnowflakeStatementError,
    SnowflakeTimeoutError,
    SnowflakeUnavailableError,
    bind,
)
from tajo_assets.snowflake.connector import connector_parameters, translate_error

CREDENTIAL = "the key pair of user TAJO for account myorg-myacct"
ADVICE = "check the key registered for user TAJO"


def translated(error: Exception):
    return translate_error(error, credential=CREDENTIAL, auth_advice=ADVICE)


def test_statement_timeout_is_a_timeout_with_the_query_id():
    error = errors.ProgrammingError(
        msg="Statement reached its statement or warehouse timeout of 1 second(s) "
        "and was canceled.",
        errno=630,
        sqlstate="57014",
        sfqid="01b2c3d4-0000-0001-0000-000000000001",
    )

    result = translated(error)

    assert isinstance(result, SnowflakeTimeoutError)
    assert result.code == "000630"
    assert result.statement_handle == "01b2c3d4-0000-0001-0000-000000000001"
    assert "raise statement_timeout_s" in str(result)


def test_client_side_timeout_cancel_is_a_timeout():
    error = errors.ProgrammingError(
        msg="SQL execution was cancelled by the client due to a timeout. Error "
        "message received from the server: SQL execution canceled",
        errno=604,
        sqlstate="57014",
    )

    assert isinstance(translated(error), SnowflakeTimeoutError)


def test_cancelled_statement_without_timeout_is_a_statement_error():
    error = errors.ProgrammingError(
        msg="SQL execution canceled", errno=604, sqlstate="57014"
    )

    assert isinstance(translated(error), SnowflakeStatementError)


def test_refused_sign_in_names_the_credential_and_the_fix():
    error = errors.DatabaseError(
        msg="Failed to connect to DB: myorg-myacct.snowflakecomputing.com:443. "
        "JWT token is invalid.",
        errno=390144,
        sqlstate="08001",
    )

    result = translated(error)

    assert isinstance(result, SnowflakeAuthError)
    assert f"Snowflake refused {CREDENTIAL}" in str(result)
    assert ADVICE in str(result)
    assert result.code == "390144"


def test_authorization_failure_state_is_an_auth_error():
    error = errors.DatabaseError(
        msg="Incorrect username or password was specified.",
        errno=390100,
        sqlstate="28000",
    )

    assert isinstance(translated(error), SnowflakeAuthError)


def test_unreachable_snowflake_is_retryable():
    error = errors.OperationalError(
        msg="Could not connect to Snowflake backend after 2 attempt(s).",
        errno=251011,
    )

    result = translated(error)

    assert isinstance(result, SnowflakeUnavailableError)
    assert result.retryable


def test_connector_setting_error_is_a_configuration_error():
    error = errors.ProgrammingError(msg="Account must be specified", errno=251001)

    assert isinstance(translated(error), SnowflakeConfigurationError)


def test_quoted_email_is_masked_and_prefix_dropped():
    error = errors.ProgrammingError(
        msg="Numeric value 'ann@example.com' is not recognized",
        errno=100038,
        sqlstate="22018",
    )

    result = translated(error)

    assert isinstance(result, SnowflakeStatementError)
    assert "ann@example.com" not in str(result)
    assert result.message == "Numeric value 'a***@example.com' is not recognized"


def test_parameters_follow_placeholders_and_repeat_like_bind():
    statement = "SELECT :b AS B, :a AS A, ':a' AS LITERAL, :b AS AGAIN"

    text, parameters = connector_parameters(
        statement, {"a": 1, "b": "two"}, typed=False
    )

    assert text == "SELECT ? AS B, ? AS A, ':a' AS LITERAL, ? AS AGAIN"
    assert parameters == ["two", 1, "two"]


def test_typed_parameters_are_exactly_the_sql_api_bindings():
    values = {
        "n": 42,
        "when": datetime(2021, 3, 19, 17, 6, 59, tzinfo=UTC),
        "day": date(1969, 7, 20),
        "nothing": None,
    }
    statement = "SELECT :n, :when, :day, :nothing"

    text, pairs = connector_parameters(statement, values, typed=True)

    bound = bind(statement, values)
    assert text == bound.statement
    assert pairs == [(b["type"], b["value"]) for b in bound.bindings.values()]
    assert pairs[1][0] == "TIMESTAMP_LTZ", "an aware datetime is an instant"


def test_unsupported_binding_type_is_refused_like_the_sql_api():
    with pytest.raises(TypeError, match="binding :items has type list"):
        connector_parameters("SELECT :items", {"items": [1, 2]}, typed=False)


def test_importing_the_package_loads_neither_connector_nor_dagster_snowflake():
    probe = (
        "import sys\n"
        "import tajo_assets.snowflake, tajo_assets.snowflake.connector\n"
        "import tajo_assets.build\n"
        "loaded = [m for m in ('snowflake.connector', 'dagster_snowflake') "
        "if m in sys.modules]\n"
        "print(','.join(loaded) or 'none')\n"
    )

    completed = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    assert completed.stdout.strip() == "none"
