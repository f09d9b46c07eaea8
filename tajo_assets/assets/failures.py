"""Errors only a configuration change can fix, shown as plain run failures."""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from tajo_assets.brevo import BrevoConfigurationError, BrevoNotFoundError
from tajo_assets.snowflake import SnowflakeAuthError, SnowflakeConfigurationError
from tajo_assets.sync.mapping import MappingError
from tajo_assets.sync.state import AudienceQueryError

CONFIGURATION_ERRORS = (
    AudienceQueryError,
    MappingError,
    BrevoConfigurationError,
    BrevoNotFoundError,
    SnowflakeAuthError,
    SnowflakeConfigurationError,
)


@contextmanager
def configuration_errors_as_failures() -> Iterator[None]:
    """Turn configuration errors into a `dg.Failure` carrying their message.

    Retrying cannot help with these, and their message already says what to
    fix; a stack trace in the run log would only bury it.
    """
    try:
        yield
    except CONFIGURATION_ERRORS as error:
        raise dg.Failure(str(error), allow_retries=False) from error
