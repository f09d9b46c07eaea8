"""The errors of the Snowflake SQL API client, sorted by what the caller should do.

Every failure of a request, an HTTP exchange or a response is translated once, at
the client boundary, into one of these; nothing from httpx or cryptography escapes.
Messages never contain a private key or a token; e-mail addresses that
Snowflake quotes from row data (e.g. "Numeric value 'ann@example.com' is not
recognized") are masked.
"""

import re

_EMAIL = re.compile(
    r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})"
)


def mask_emails(text: str) -> str:
    """`text` with each e-mail address reduced to its first letter and domain."""
    return _EMAIL.sub(r"\1***@\2", text)


class SnowflakeError(Exception):
    """Base of every error raised by the Snowflake client.

    `message` is Snowflake's own text when it sent one, else ours; `summary`
    says what we were doing. `code`, `sql_state`, `statement_handle` and
    `http_status` are None when unknown.
    `retryable` says whether running the same work again later may succeed.
    """

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        summary: str | None = None,
        code: str | None = None,
        sql_state: str | None = None,
        statement_handle: str | None = None,
        http_status: int | None = None,
        advice: str | None = None,
    ) -> None:
        self.message = mask_emails(message)
        self.summary = summary
        self.code = code
        self.sql_state = sql_state
        self.statement_handle = statement_handle
        self.http_status = http_status
        self.advice = advice
        super().__init__(self._describe())

    def _describe(self) -> str:
        """`summary: message (code, sqlState, handle, HTTP status); advice`."""
        details = [
            f"{label} {value}"
            for label, value in (
                ("code", self.code),
                ("sqlState", self.sql_state),
                ("statement handle", self.statement_handle),
                ("HTTP", self.http_status),
            )
            if value is not None
        ]
        text = f"{self.summary}: {self.message}" if self.summary else self.message
        if details:
            text += f" ({', '.join(details)})"
        if self.advice:
            text += f"; {self.advice}"
        return text


class SnowflakeConfigurationError(SnowflakeError, ValueError):
    """A setting is unusable (account, base URL, private key); fix it and rerun.

    Raised before any request is sent.
    """


class SnowflakeAuthError(SnowflakeError):
    """Snowflake refused our credentials (HTTP 401 after one re-sign, or 403).

    Fix the credentials or the user's grants; retrying as is will not help.
    """


class SnowflakeRequestError(SnowflakeError):
    """Snowflake says our request was malformed (HTTP 400, 404, 405, 415).

    A bug or a wrong base URL; retrying the same request will not help.
    """


class SnowflakeStatementError(SnowflakeError):
    """The SQL statement failed in Snowflake (HTTP 422); fix the SQL or its data."""


class SnowflakeTimeoutError(SnowflakeError):
    """The statement ran past its timeout (HTTP 408) or past our poll deadline.

    With a poll deadline the statement may still be running in Snowflake;
    `statement_handle` names it so the caller can cancel it or look it up.
    """


class SnowflakeUnavailableError(SnowflakeError):
    """Snowflake could not serve us (429, 5xx after retries, network failure).

    Try again later.
    """

    retryable = True


class SnowflakeResponseError(SnowflakeError):
    """Snowflake's answer could not be read: an undocumented shape, a row count
    that does not add up, or a column type this client cannot decode.
    """
