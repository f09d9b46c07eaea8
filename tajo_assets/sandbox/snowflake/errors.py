"""The answers the SQL API gives instead of a result, with Snowflake's codes.

Two kinds, sorted by whether a statement handle exists:

- `RequestRejected`: the request itself is refused (bad payload, bad token, too
  many statements). The body is `{"code", "message"}` and no statement exists.
- `StatementFailed`: a statement was accepted and failed (SQL error, bad
  binding, cancel, timeout). The body is a `QueryFailureStatus` carrying the
  statement handle, so the client can look the statement up later.
"""

from dataclasses import dataclass

# Success and progress codes (SQL API reference).
SUCCESS = "090001"
IN_PROGRESS = "333334"

# Request-level refusals.
INVALID_PAYLOAD = "390142"
JWT_INVALID = "390144"
TOKEN_MISSING = "390146"  # noqa: S105 (an error code)
OAUTH_INVALID = "390303"
OAUTH_EXPIRED = "390318"
TOO_MANY_REQUESTS = "390505"
PARTITION_OUT_OF_RANGE = "391922"
EMPTY_STATEMENT = "000900"

# Statement-level failures.
STATEMENT_COUNT_MISMATCH = "000008"
CANCELED = "000604"
TIMED_OUT = "000630"
NOT_FOUND = "000709"
INTERNAL_ERROR = "000603"
UNSUPPORTED_BINDING_TYPE = "002040"
BIND_VARIABLE_NOT_SET = "002049"
BATCH_LENGTH_MISMATCH = "002099"
BAD_BINDING_VALUE = "100037"
NUMERIC_VALUE_NOT_RECOGNIZED = "100038"
MULTI_STATEMENT_FAILED = "100132"
COMMAND_NOT_SUPPORTED = "391911"


@dataclass
class RequestRejected(Exception):
    """The request is refused before any statement exists.

    `status` is the HTTP status; the client's next step follows from it: fix
    the request (400, 415), get a new token (401), or retry later (429).
    """

    status: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"HTTP {self.status} {self.code}: {self.message}"

    def body(self) -> dict:
        return {"code": self.code, "message": self.message}


def invalid_payload(detail: str) -> RequestRejected:
    """400 with Snowflake's invalid-payload code and `detail` saying what to fix."""
    return RequestRejected(
        400,
        INVALID_PAYLOAD,
        f"Incoming request does not contain a valid payload. {detail}",
    )


@dataclass
class StatementFailed(Exception):
    """A statement ended without a result; becomes a `QueryFailureStatus`."""

    code: str
    sql_state: str
    message: str

    def __str__(self) -> str:
        return f"{self.code} ({self.sql_state}): {self.message}"


def canceled() -> StatementFailed:
    return StatementFailed(CANCELED, "57014", "SQL execution canceled")


def timed_out(timeout_s: float) -> StatementFailed:
    return StatementFailed(
        TIMED_OUT,
        "57014",
        f"Statement reached its statement or warehouse timeout of {timeout_s:g} "
        "second(s) and was canceled.",
    )


def not_supported(command: str, fix: str) -> StatementFailed:
    return StatementFailed(
        COMMAND_NOT_SUPPORTED,
        "0A000",
        f"Command not supported by SQL API: {command}. {fix}",
    )
