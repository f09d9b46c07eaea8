"""The connector's errors as the SnowflakeError tree (the one boundary).

The connector's exception classes are imported inside the functions, so that
importing this module does not load the connector.
"""

from typing import Any

from tajo_assets.snowflake.errors import (
    SnowflakeAuthError,
    SnowflakeConfigurationError,
    SnowflakeError,
    SnowflakeStatementError,
    SnowflakeTimeoutError,
    SnowflakeUnavailableError,
)

_STATEMENT_TIMED_OUT = 630
_EXECUTION_CANCELED = 604
# The connector's own codes: settings it refuses before connecting (no account,
# no user, an unreadable private key, ...), and failures to reach Snowflake.
_CONNECTOR_SETTING_ERRORS = frozenset(
    {251001, 251005, 251006, 251007, 251008, 251013, 251017, 251020}
)
_CONNECTOR_NETWORK_ERRORS = frozenset(
    {*range(250_001, 250_013), 251004, 251009, 251010, 251011, 251012}
)
# Snowflake's sign-in error codes (390100 wrong password, 390144 bad JWT, ...).
_SIGN_IN_ERRORS = range(390_000, 391_000)
_AUTHORIZATION_FAILURE = "28000"


# What the caller should do for each kind of failure: (summary, advice). A
# refused sign-in is explained with the credential that was refused instead.
_EXPLANATIONS: dict[type[SnowflakeError], tuple[str, str]] = {
    SnowflakeTimeoutError: (
        "the statement ran past its timeout and was cancelled",
        "raise statement_timeout_s, or make the query cheaper",
    ),
    SnowflakeConfigurationError: (
        "the Python connector refused its settings",
        "check account, user and the credential settings",
    ),
    SnowflakeStatementError: (
        "the SQL statement failed",
        "fix the statement or its bindings",
    ),
    SnowflakeUnavailableError: (
        "Snowflake could not serve the Python connector",
        "check the account and the network, then try again later",
    ),
}


def translate_error(
    error: Exception, *, credential: str, auth_advice: str
) -> SnowflakeError:
    """One connector error as the SnowflakeError a caller can act on."""
    fields = _error_fields(error)
    kind = _error_kind(error, fields["message"])
    if kind is SnowflakeAuthError:
        return SnowflakeAuthError(
            **fields, summary=f"Snowflake refused {credential}", advice=auth_advice
        )
    summary, advice = _EXPLANATIONS[kind]
    return kind(**fields, summary=summary, advice=advice)


def _error_kind(error: Exception, message: str) -> type[SnowflakeError]:
    """Which SnowflakeError `error` is; the first matching rule wins."""
    from snowflake.connector import errors

    errno = getattr(error, "errno", -1)
    if _timed_out(errno, message):
        return SnowflakeTimeoutError
    if _refused(error, errno, errors):
        return SnowflakeAuthError
    if errno in _CONNECTOR_SETTING_ERRORS:
        return SnowflakeConfigurationError
    if errno not in _CONNECTOR_NETWORK_ERRORS and isinstance(
        error, _statement_errors(errors)
    ):
        return SnowflakeStatementError
    return SnowflakeUnavailableError


def _error_fields(error: Exception) -> dict[str, Any]:
    errno = getattr(error, "errno", -1)
    code = f"{errno:06d}" if isinstance(errno, int) and errno > 0 else None
    sql_state = getattr(error, "sqlstate", None)
    # raw_msg is the text without the connector's "002003 (42S02): " prefix;
    # some servers put that prefix into the text itself.
    message = getattr(error, "raw_msg", None) or str(error) or type(error).__name__
    return {
        "message": str(message).removeprefix(f"{code} ({sql_state}): "),
        "code": code,
        "sql_state": sql_state,
        "statement_handle": getattr(error, "sfqid", None),
    }


def _timed_out(errno: int, message: str) -> bool:
    if errno == _STATEMENT_TIMED_OUT:
        return True
    return errno == _EXECUTION_CANCELED and "timeout" in message.lower()


def _refused(error: Exception, errno: int, errors: Any) -> bool:
    if errno in _SIGN_IN_ERRORS:
        return True
    if getattr(error, "sqlstate", None) == _AUTHORIZATION_FAILURE:
        return True
    return isinstance(
        error,
        (errors.ForbiddenError, errors.TokenExpiredError, errors.RefreshTokenError),
    )


def _statement_errors(errors: Any) -> tuple[type[Exception], ...]:
    return (
        errors.ProgrammingError,
        errors.DataError,
        errors.IntegrityError,
        errors.NotSupportedError,
    )
