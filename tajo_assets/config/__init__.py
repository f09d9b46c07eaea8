"""Configuration: one YAML file (default `tajo.yaml`), checked before any query runs.

`load_config()` reads it, replaces `${VAR}` references from the environment and
returns a frozen `TajoConfig`; every problem is reported at once in a
`ConfigError`. Secrets stay in the environment: the model holds `SecretRef`s
naming the variables.
"""

from tajo_assets.config.errors import ConfigError, ConfigProblem
from tajo_assets.config.events import EventDefinition, EventSyncSpec
from tajo_assets.config.fields import IDENTIFIER_TARGETS
from tajo_assets.config.loader import (
    CONFIG_PATH_VAR,
    DEFAULT_CONFIG_FILE,
    check_environment,
    load_config,
    resolve_config_path,
)
from tajo_assets.config.mapping import AttributeMapping, FieldMapping
from tajo_assets.config.model import (
    DEFAULT_BREVO_API_KEY_VAR,
    DEFAULT_PASSPHRASE_VAR,
    DEFAULT_PRIVATE_KEY_VAR,
    DEFAULT_USER_VAR,
    AuthMethod,
    BrevoConnector,
    BrevoTier,
    Connectors,
    LogLevel,
    SnowflakeAuth,
    SnowflakeConnector,
    SyncFlags,
    TajoConfig,
    Transport,
)
from tajo_assets.config.secrets import SecretRef
from tajo_assets.config.syncs import ListDestination, SyncConfig, SyncSpec, SyncType

__all__ = [
    "CONFIG_PATH_VAR",
    "DEFAULT_BREVO_API_KEY_VAR",
    "DEFAULT_CONFIG_FILE",
    "DEFAULT_PASSPHRASE_VAR",
    "DEFAULT_PRIVATE_KEY_VAR",
    "DEFAULT_USER_VAR",
    "IDENTIFIER_TARGETS",
    "AttributeMapping",
    "AuthMethod",
    "BrevoConnector",
    "BrevoTier",
    "ConfigError",
    "ConfigProblem",
    "Connectors",
    "EventDefinition",
    "EventSyncSpec",
    "FieldMapping",
    "ListDestination",
    "LogLevel",
    "SecretRef",
    "SnowflakeAuth",
    "SnowflakeConnector",
    "SyncConfig",
    "SyncFlags",
    "SyncSpec",
    "SyncType",
    "TajoConfig",
    "Transport",
    "check_environment",
    "load_config",
    "resolve_config_path",
]
