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

from tajo_assets.config.attributes import (
    AttributeName,
    AttributeOptions,
    attribute_problems,
)
from tajo_assets.config.checks import ChecksConfig
from tajo_assets.config.errors import Location, problems_found
from tajo_assets.config.events import EventSyncSpec
from tajo_assets.config.fields import (
    AccountName,
    BaseUrl,
    Cron,
    LowerName,
    PartitionStart,
    SqlText,
    Text,
    TimeZoneName,
    UnquotedIdentifier,
    WholeNumber,
)
from tajo_assets.config.mapping import DEFAULT_FIELD_MAPPING, FieldMapping
from tajo_assets.config.models import ModelsConfig
from tajo_assets.config.secrets import SecretRef, secret_field
from tajo_assets.config.section import Section
from tajo_assets.config.syncs import (
    SyncConfig,
    SyncSpec,
    SyncType,
    placeholder_problems,
    resolve_event_sync,
    resolve_sync,
    sync_problems,
)

DEFAULT_PRIVATE_KEY_VAR = "SNOWFLAKE_PRIVATE_KEY"
DEFAULT_PASSPHRASE_VAR = "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"  # noqa: S105 (a name)
DEFAULT_USER_VAR = "SNOWFLAKE_USER"
DEFAULT_OAUTH_SECRET_VAR = "SNOWFLAKE_OAUTH_CLIENT_SECRET"  # noqa: S105 (a name)
DEFAULT_PAT_VAR = "SNOWFLAKE_PAT"
DEFAULT_BREVO_API_KEY_VAR = "BREVO_API_KEY"
MAX_STATEMENT_TIMEOUT_S = 172_800

# Secret settings are kept as written (never interpolated) and their values are
# never shown in messages. Keep in step with the `secret_field` uses below.
SECRET_PATHS: tuple[Location, ...] = (
    ("connectors", "snowflake", "auth", "private_key"),
    ("connectors", "snowflake", "auth", "private_key_passphrase"),
    ("connectors", "snowflake", "auth", "client_secret"),
    ("connectors", "snowflake", "auth", "token"),
    ("connectors", "brevo", "api_key"),
)


PrivateKeyRef = secret_field("private_key", DEFAULT_PRIVATE_KEY_VAR, "PEM private key")
PassphraseRef = secret_field(
    "private_key_passphrase", DEFAULT_PASSPHRASE_VAR, "passphrase"
)
BrevoApiKeyRef = secret_field("api_key", DEFAULT_BREVO_API_KEY_VAR, "Brevo API key")


OAuthSecretRef = secret_field(
    "client_secret", DEFAULT_OAUTH_SECRET_VAR, "OAuth client secret"
)
PatRef = secret_field("token", DEFAULT_PAT_VAR, "programmatic access token")


class AuthMethod(StrEnum):
    KEY_PAIR = "key_pair"
    OAUTH = "oauth"
    PAT = "pat"


# The settings each method reads; any other written setting is a mistake.
_AUTH_SETTINGS = {
    AuthMethod.KEY_PAIR: ("private_key", "private_key_passphrase"),
    AuthMethod.OAUTH: ("client_id", "client_secret", "token_url", "scope"),
    AuthMethod.PAT: ("token",),
}
_AUTH_REQUIRED = {
    AuthMethod.OAUTH: {
        "client_id": "client_id: ${SNOWFLAKE_OAUTH_CLIENT_ID}",
        "client_secret": f"client_secret: ${{{DEFAULT_OAUTH_SECRET_VAR}}}",
    },
    AuthMethod.PAT: {"token": f"token: ${{{DEFAULT_PAT_VAR}}}"},
}


class SnowflakeAuth(Section):
    """How Tajo signs in to Snowflake: key pair (default), OAuth or a PAT.

    One flat section rather than one per method, so every key has one place
    for error messages; `_settings_of_method` refuses settings of another
    method and asks for the ones the method needs. `private_key_passphrase`
    is optional: `load_config` leaves it None when its variable is unset, so
    a set reference always names a variable to read.
    """

    method: AuthMethod = Field(
        AuthMethod.KEY_PAIR,
        description="how Tajo signs in to Snowflake: key_pair, oauth or pat",
    )
    private_key: PrivateKeyRef = Field(
        SecretRef(env_var=DEFAULT_PRIVATE_KEY_VAR),
        description="${VARIABLE} holding the PEM private key of the Snowflake user",
    )
    private_key_passphrase: PassphraseRef | None = Field(
        SecretRef(env_var=DEFAULT_PASSPHRASE_VAR),
        description="${VARIABLE} holding the passphrase of an encrypted private key",
    )
    client_id: Text | None = Field(
        None, description="OAuth client id (method oauth); may be a ${VARIABLE}"
    )
    client_secret: OAuthSecretRef | None = Field(
        None, description="${VARIABLE} holding the OAuth client secret"
    )
    token_url: BaseUrl | None = Field(
        None,
        description="OAuth token endpoint; default: <base_url>/oauth/token-request "
        "(Snowflake's own); set it for an external identity provider",
    )
    scope: Text | None = Field(
        None, description="OAuth scope; default: session:role:<role> when role is set"
    )
    token: PatRef | None = Field(
        None, description="${VARIABLE} holding the programmatic access token"
    )

    @model_validator(mode="after")
    def _settings_of_method(self) -> "SnowflakeAuth":
        own = _AUTH_SETTINGS[self.method]
        problems = [
            ((name,), _other_method_setting(name, self.method))
            for name in sorted(self.model_fields_set - {"method", *own})
        ]
        problems += [
            ((name,), f"missing; method {self.method} needs it, e.g. {example}")
            for name, example in _AUTH_REQUIRED.get(self.method, {}).items()
            if getattr(self, name) is None
        ]
        if problems:
            raise problems_found(problems)
        return self


def _other_method_setting(name: str, method: AuthMethod) -> str:
    owner = next(m for m, names in _AUTH_SETTINGS.items() if name in names)
    return (
        f"{name} is a setting of method {owner}, but method is {method}; remove "
        f"it, or set method: {owner}"
    )


class Transport(StrEnum):
    SQL_API = "sql_api"
    CONNECTOR = "connector"


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
    auth: SnowflakeAuth = Field(
        default_factory=SnowflakeAuth,
        description="method: key_pair with private_key: ${SNOWFLAKE_PRIVATE_KEY}, "
        "oauth with client_id and client_secret, or pat with token",
    )
    transport: Transport = Field(
        Transport.SQL_API,
        description="how Tajo runs SQL: sql_api (the SQL API over HTTPS) or "
        "connector (Snowflake's Python connector through dagster-snowflake)",
    )
    fetch_rows: WholeNumber = Field(
        10_000, ge=1, description="rows read per batch by the connector transport"
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
    partition_start: PartitionStart | None = Field(
        None,
        description="first window of incremental syncs (queries using :last_sync), "
        "a date or date and time in the timezone; default 2026-01-01 00:00",
    )
    sync_on_change: bool = Field(
        False,
        description="whether the sensor that runs syncs when their source tables "
        "change starts switched on (it can be switched in the UI either way)",
    )
    sync_on_change_interval_s: WholeNumber = Field(
        300,
        ge=30,
        description="seconds between two checks of the source tables' LAST_ALTERED, "
        "at least 30",
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
        problems: list[tuple[Location, str]] = []
        if self.enabled and self.account is None:
            problems.append(
                (
                    ("account",),
                    "missing; set your Snowflake account, e.g. account: "
                    '"myorg-myaccount.snowflakecomputing.com", or set '
                    "enabled: false",
                )
            )
        if self.transport == Transport.CONNECTOR and self.base_url is not None:
            # The connector finds its host from the account; a SQL API address
            # (the local sandbox's, say) means nothing to it.
            problems.append(
                (
                    ("base_url",),
                    "applies to the sql_api transport only; remove it or set "
                    "transport: sql_api",
                )
            )
        if problems:
            raise problems_found(problems)
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
        BrevoTier.GENERAL,
        description="Brevo API rate-limit tier of the account: general (10 "
        "contact calls/s), advanced (20/s) or extended (60/s)",
    )
    import_body_bytes: int = Field(
        8_000_000,
        ge=1_000,
        le=10_000_000,
        description="largest contact import request in bytes; Brevo takes at most "
        "10 MB and recommends about 8 MB",
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
    attributes: dict[AttributeName, AttributeOptions] = Field(
        default_factory=dict,
        description="Brevo attribute name (a mapping's target) -> null_policy, "
        "and type: category with its values",
    )
    models: ModelsConfig | None = Field(
        None, description="warehouse models (RFM, segments); absent means none"
    )
    checks: ChecksConfig = Field(
        default_factory=ChecksConfig,
        description="thresholds of the checks that gate each Brevo sync: "
        "max_null_keys, max_duplicate_keys, min_valid_email_rate, max_row_count_drop",
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
        """The declared reverse-ETL (contact) syncs, resolved, in the order written."""
        queries, mapping = self.queries(), self.field_mapping
        return [
            resolve_sync(name, sync, queries, mapping, self.attributes)
            for name, sync in self.declared_syncs.items()
            if sync.type == SyncType.REVERSE_ETL
        ]

    def event_syncs(self) -> list[EventSyncSpec]:
        """The declared event syncs, resolved, in the order written."""
        queries = self.queries()
        return [
            resolve_event_sync(name, sync, queries)
            for name, sync in self.declared_syncs.items()
            if sync.type == SyncType.EVENTS
        ]

    def _mapping_targets(self) -> set[str]:
        """Every target of `field_mapping` and of the syncs' own mappings."""
        targets = set(self.field_mapping.root.values())
        for sync in self.declared_syncs.values():
            if sync.destination is None:  # an event sync maps no attributes
                continue
            own = sync.destination.attribute_mapping
            targets |= set(own.root.values()) if own is not None else set()
        return targets

    @model_validator(mode="after")
    def _syncs_consistent(self) -> "TajoConfig":
        problems = sync_problems(
            self.declared_syncs, self.snowflake.queries, self.field_mapping
        )
        problems += placeholder_problems(self.snowflake.queries, self.declared_syncs)
        problems += attribute_problems(self.attributes, self._mapping_targets())
        if problems:
            raise problems_found(problems)
        return self
