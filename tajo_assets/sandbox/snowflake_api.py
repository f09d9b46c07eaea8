"""The sandbox's Snowflake SQL API v2 server; see `tajo_assets.sandbox.snowflake`."""

from tajo_assets.sandbox.snowflake import (
    SnowflakeSandbox,
    SnowflakeSandboxSettings,
    StatementRecord,
    StatementStatus,
    public_key_fingerprint,
)

__all__ = [
    "SnowflakeSandbox",
    "SnowflakeSandboxSettings",
    "StatementRecord",
    "StatementStatus",
    "public_key_fingerprint",
]
