"""The sandbox's Snowflake SQL API v2 server, backed by fakesnow/DuckDB."""

from tajo_assets.sandbox.faults import Fault, Faults, Hold, Watch
from tajo_assets.sandbox.snowflake.app import SnowflakeSandbox, SnowflakeSandboxSettings
from tajo_assets.sandbox.snowflake.auth import public_key_fingerprint
from tajo_assets.sandbox.snowflake.oauth import OAuthClient
from tajo_assets.sandbox.snowflake.statements import StatementRecord, StatementStatus

__all__ = [
    "Fault",
    "Faults",
    "Hold",
    "OAuthClient",
    "SnowflakeSandbox",
    "SnowflakeSandboxSettings",
    "StatementRecord",
    "StatementStatus",
    "Watch",
    "public_key_fingerprint",
]
