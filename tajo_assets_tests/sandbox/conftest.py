"""Fixtures shared by the sandbox tests (the Snowflake ones live in their own file)."""

from tajo_assets_tests.sandbox.snowflake_fixtures import (  # noqa: F401 (fixtures)
    serve_snowflake,
    shared_snowflake,
    snowflake_api,
)
