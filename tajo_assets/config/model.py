"""The shape of `tajo.yaml`: typed, defaulted and described in one place.

Every section is frozen and refuses unknown keys. Field descriptions are shown
to users in error messages, so they say what a setting means and allows.
Rules that relate several settings (a sync naming a query, one identifier per
mapping) are model validators that report every broken rule at once; the field
mapping lives in `mapping.py`, the syncs in `syncs.py`.
"""

import logging
from enum import StrEnum

from pydantic import Field, field_validator, model_validator

from tajo_assets.config.errors import Location, problems_found
from tajo_assets.config.fields import (
    AccountName,
    BaseUrl,
    Cron,
    LowerName,
    SqlText,
    Text,
    TimeZoneName,
    UnquotedIdentifier,
    WholeNumber,
)
from tajo_assets.config.mapping import DEFAULT_FIELD_MAPPING, FieldMapping
from tajo_assets.config.secrets import SecretRef, secret_field
from tajo_assets.config.section import Section
from tajo_assets.config.syncs import (
    SyncConfig,
    SyncSpec,
    placeholder_problems,
    resolve_sync,
    sync_problems,
)

DEFAULT_PRIVATE_KEY_VAR = "SNOWFLAKE_PRIVATE_KEY"
DEFAULT_PASSPHRASE_VAR = "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"  # noqa: S105 (a name)
DEFAULT_USER_VAR = "SNOWFLAKE_USER"
DEFAULT_BREVO_API_KEY_VAR = "BREVO_API_KEY"
MAX_STATEMENT_TIMEOUT_S = 172_800

# Secret settings are kept as written (never interpolated) and their values are
# never shown in messages. Keep in step with the `secret_field` uses below.
SECRET_PATHS: tuple[Location, ...] = (
    ("connectors", "snowflake", "auth", "private_key"),
    ("connectors", "snowflake", "auth", "private_key_passphrase"),
    ("connectors", "brevo", "api_key"),
)


PrivateKeyRef = secret_field("private_key", DEFAULT_PRIVATE_KEY_VAR, "PEM private key")
PassphraseRef = secret_field(
    "private_key_passphrase", DEFAULT_PASSPHRASE_VAR, "passphrase"
)
BrevoApiKeyRef = secret_field("api_key", DEFAULT_BREVO_API_KEY_VAR, "Brevo API key")


class AuthMethod(StrEnum):
    KEY_PAIR = "key_pair"


class KeyPairAuth(Section):
    """Key-pair authentication: a JWT signed with a private key from the environment.

    `private_key_passphrase` is optional: `load_config` leaves it None when its
    variable is unset, so a set reference always names a variable to read.
    """

    method: AuthMethod = Field(
        AuthMethod.KEY_PAIR, description="how Tajo signs in to Snowflake"
    )
    private_key: PrivateKeyRef = Field(
        SecretRef(env_var=DEFAULT_PRIVATE_KEY_VAR),
        description="${VARIABLE} holding the PEM private key of the Snowflake user",
    )
    private_key_passphrase: PassphraseRef | None = Field(
        SecretRef(env_var=DEFAULT_PASSPHRASE_VAR),
        description="${VARIABLE} holding the passphrase of an encrypted private key",
    )


class SyncFlags(Section):
    """Which kinds of data the Snowflake connector syncs (the seed's `sync` block)."""

    customers: bool = Field(True, description="sync customers as Brevo contacts")
    segments: bool = Field(True, description="sync segments as Brevo lists")
    analytics: bool = Field(True, description="sync metrics as contact attributes")


class LogLevel(StrEnum):
    DEBUG = "debug"
    VERBOSE = "verbose"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


_PYTHON_LOG_LEVELS = {
    LogLevel.DEBUG: logging.DEBUG,
    LogLevel.VERBOSE: logging.DEBUG,
    LogLevel.INFO: logging.INFO,
    LogLevel.WARNING: logging.WARNING,
    LogLevel.ERROR: logging.ERROR,
}


_OPTIONAL_TEXT = (
    "account",
    "user",
    "jwt_account",
    "base_url",
    "warehouse",
    "database",
    "schema_",
    "role",
)


class SnowflakeConnector(Section):
    """Where and how Tajo runs its queries in Snowflake.

    `user` None means the SNOWFLAKE_USER environment variable; `auth` left out
    means key-pair auth from SNOWFLAKE_PRIVATE_KEY. Those implicit variables are
    checked when resources are built (`check_environment`), not at load. An
    empty optional setting (`base_url: ""`) counts as not set.
    """

    enabled: bool = Field(True, description="whether Tajo reads from Snowflake")
    account: AccountName | None = Field(
        None,
        description="Snowflake account identifier or host, e.g. "
        "'myorg-myaccount.snowflakecomputing.com'; required when enabled",
    )
    user: Text | None = Field(
        None, description="Snowflake user; default: the SNOWFLAKE_USER variable"
    )
    jwt_account: Text | None = Field(
        None,
        description="account name for the key-pair JWT when it differs from the "
        "documented rule (some accounts need their locator, e.g. XY12345)",
    )
    auth: KeyPairAuth = Field(
        default_factory=KeyPairAuth,
        description="method: key_pair with private_key: ${SNOWFLAKE_PRIVATE_KEY}",
    )
    base_url: BaseUrl | None = Field(
        None,
        description="SQL API address; default: https://<account>."
        "snowflakecomputing.com; http://127.0.0.1:<port> for the local sandbox",
    )
    warehouse: Text | None = Field(None, description="virtual warehouse to run in")
    database: Text | None = Field(None, description="default database of queries")
    schema_: Text | None = Field(
        None, alias="schema", description="default schema of queries"
    )
    role: Text | None = Field(None, description="role the queries run as")
    sync: SyncFlags = Field(
        default_factory=SyncFlags,
        description="flags customers, segments, analytics, each true or false",
    )
    schedule: Cron = Field(
        "0 */6 * * *", description="when syncs run, as a 5-field cron expression"
    )
    timezone: TimeZoneName = Field(
        "UTC",
        description="IANA time zone of the schedule, of dates sent to Brevo, and "
        "the session TIMEZONE in which TIMESTAMP_NTZ columns are read",
    )
    statement_timeout_s: WholeNumber = Field(
        3600,
        ge=1,
        le=MAX_STATEMENT_TIMEOUT_S,
        description="seconds a statement may run before Snowflake cancels it, "
        f"1 to {MAX_STATEMENT_TIMEOUT_S} = 48 h",
    )
    query_tag: str = Field(
        "tajo-assets",
        max_length=2000,
        description="QUERY_TAG set on every statement, to find Tajo's queries",
    )
    state_schema: UnquotedIdentifier = Field(
        "TAJO_STATE", description="schema where Tajo keeps sync state"
    )
    queries: dict[LowerName, SqlText] = Field(
        default_factory=dict,
        description="lower-case query name -> SQL; each becomes a warehouse asset",
    )
    debug: bool = Field(False, description="whether to log at debug level")
    log_level: LogLevel = Field(LogLevel.INFO, description="how much Tajo logs")
    log_queries: bool = Field(
        False,
        description="whether to log each statement's SQL text, never its bound values",
    )

    @field_validator(*_OPTIONAL_TEXT, mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `base_url: ${SNOWFLAKE_BASE_URL:-}` must be able to mean "not set".
        return None if value == "" else value

    @model_validator(mode="after")
    def _account_when_enabled(self) -> "SnowflakeConnector":
        if self.enabled and self.account is None:
            raise problems_found(
                [
                    (
                        ("account",),
                        "missing; set your Snowflake account, e.g. account: "
                        '"myorg-myaccount.snowflakecomputing.com", or set '
                        "enabled: false",
                    )
                ]
            )
        return self


class BrevoTier(StrEnum):
    GENERAL = "general"
    ADVANCED = "advanced"
    EXTENDED = "extended"


class BrevoConnector(Section):
    """The Brevo account Tajo writes to; every setting has a default."""

    api_key: BrevoApiKeyRef = Field(
        SecretRef(env_var=DEFAULT_BREVO_API_KEY_VAR),
        description="${VARIABLE} holding the Brevo API key",
    )
    base_url: BaseUrl = Field(
        "https://api.brevo.com/v3", description="Brevo API v3 address"
    )
    tier: BrevoTier = Field(
        BrevoTier.GENERAL, description="Brevo API rate-limit tier of the account"
    )


class Connectors(Section):
    """The outside systems: Snowflake to read from, Brevo to write to."""

    snowflake: SnowflakeConnector = Field(
        description="a snowflake: block with at least account: <your account>"
    )
    brevo: BrevoConnector = Field(
        default_factory=BrevoConnector, description="api_key, base_url, tier"
    )


class TajoConfig(Section):
    """The whole configuration file. Build it with `load_config`.

    `load_config` also checks the environment for the secrets the file names;
    constructing this model directly checks only the file's own content.
    """

    connectors: Connectors = Field(
        description="a connectors: block with snowflake: inside"
    )
    field_mapping: FieldMapping = Field(
        default_factory=lambda: FieldMapping(DEFAULT_FIELD_MAPPING),
        description="query column -> email / ext_id or a Brevo attribute",
    )
    declared_syncs: dict[LowerName, SyncConfig] = Field(
        default_factory=dict,
        alias="syncs",
        description="lower-case sync name -> query and destination list",
    )

    @property
    def snowflake(self) -> SnowflakeConnector:
        return self.connectors.snowflake

    @property
    def brevo(self) -> BrevoConnector:
        return self.connectors.brevo

    @property
    def python_log_level(self) -> int:
        """The `logging` level: DEBUG when `debug` is true, else from `log_level`."""
        if self.snowflake.debug:
            return logging.DEBUG
        return _PYTHON_LOG_LEVELS[self.snowflake.log_level]

    def queries(self) -> dict[str, str]:
        """Every query that becomes a warehouse asset: name -> SQL.

        The named queries, then the inline SQL of syncs under the sync's name.
        """
        inline = {
            name: sync.query
            for name, sync in self.declared_syncs.items()
            if not sync.names_a_query
        }
        return {**self.snowflake.queries, **inline}

    def syncs(self) -> list[SyncSpec]:
        """The declared syncs, resolved, in the order written."""
        queries, mapping = self.queries(), self.field_mapping
        return [
            resolve_sync(name, sync, queries, mapping)
            for name, sync in self.declared_syncs.items()
        ]

    @model_validator(mode="after")
    def _syncs_consistent(self) -> "TajoConfig":
        problems = sync_problems(
            self.declared_syncs, self.snowflake.queries, self.field_mapping
        )
        problems += placeholder_problems(self.snowflake.queries, self.declared_syncs)
        if problems:
            raise problems_found(problems)
        return self
