"""The Dagster resource that opens connector clients (through dagster-snowflake).

dagster-snowflake and the connector are imported inside functions only, when
`get_client()` opens a connection.
"""

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import dagster as dg
from cryptography.hazmat.primitives import serialization
from pydantic import Field

from tajo_assets.snowflake.auth import (
    LOOPBACK_HOSTS,
    AccountIdentifier,
    load_private_key,
)
from tajo_assets.snowflake.client import DEFAULT_QUERY_TAG
from tajo_assets.snowflake.connector.client import (
    DEFAULT_FETCH_ROWS,
    SnowflakeConnectorClient,
)
from tajo_assets.snowflake.connector.errors import translate_error
from tajo_assets.snowflake.connector.parameters import session_parameters
from tajo_assets.snowflake.errors import SnowflakeConfigurationError


class SnowflakeConnectorResource(dg.ConfigurableResource):
    """Snowflake through the Python connector (dagster-snowflake).

    The same settings as `SnowflakeSqlApiResource`, with one credential of
    four: `private_key` (key pair), `programmatic_access_token`,
    `oauth_client_id` + `oauth_client_secret` (OAuth client credentials, the
    connector fetches the token), or a ready `oauth_token`. Pass secrets as
    `dg.EnvVar("NAME")` so they are read at run time and never shown.
    dagster-snowflake and the connector are imported only when `get_client()`
    opens a connection.
    """

    account: str = Field(
        description="Account identifier: orgname-account_name, orgname.account_name "
        "or a locator such as xy12345.us-east-2.aws."
    )
    user: str = Field(description="Snowflake user to sign in as.")
    private_key: str | None = Field(
        default=None,
        repr=False,
        description="PKCS#8 PEM private key (or its base64); use dg.EnvVar.",
    )
    private_key_passphrase: str | None = Field(
        default=None,
        repr=False,
        description="Passphrase of an encrypted private key; use dg.EnvVar.",
    )
    programmatic_access_token: str | None = Field(
        default=None,
        repr=False,
        description="Programmatic access token of the user; use dg.EnvVar.",
    )
    oauth_client_id: str | None = Field(
        default=None, description="OAuth client id (client credentials flow)."
    )
    oauth_client_secret: str | None = Field(
        default=None,
        repr=False,
        description="OAuth client secret (client credentials flow); use dg.EnvVar.",
    )
    oauth_token_url: str | None = Field(
        default=None,
        description="OAuth token endpoint; empty means Snowflake's own.",
    )
    oauth_scope: str | None = Field(
        default=None,
        description="OAuth scope; empty means session:role:<role> when role is set.",
    )
    oauth_token: str | None = Field(
        default=None,
        repr=False,
        description="A ready OAuth access token; use dg.EnvVar.",
    )
    warehouse: str | None = Field(default=None, description="Warehouse to run in.")
    database: str | None = Field(default=None, description="Default database.")
    schema_: str | None = Field(
        default=None, alias="schema", description="Default schema."
    )
    role: str | None = Field(default=None, description="Role the session uses.")
    query_tag: str = Field(
        default=DEFAULT_QUERY_TAG,
        description="QUERY_TAG of the session, to find its statements in "
        "QUERY_HISTORY.",
    )
    statement_timeout_s: int = Field(
        default=3600,
        ge=0,
        le=604_800,
        description="STATEMENT_TIMEOUT_IN_SECONDS of the session; 0 means "
        "Snowflake's maximum.",
    )
    timezone: str = Field(
        default="UTC",
        description="Session TIMEZONE: how TIMESTAMP_NTZ values compare with "
        "bound instants such as :last_sync.",
    )
    log_queries: bool = Field(
        default=False,
        description="Log each statement's SQL text at INFO (never bound values).",
    )
    fetch_rows: int = Field(
        default=DEFAULT_FETCH_ROWS,
        ge=1,
        description="Rows per batch read from a result (bounds memory).",
    )
    login_timeout_s: int | None = Field(
        default=None, ge=1, description="Seconds to wait for the sign-in."
    )
    host: str | None = Field(
        default=None,
        description="Host to connect to instead of <account>.snowflakecomputing"
        ".com (PrivateLink, or 127.0.0.1 for a local stand-in).",
    )
    port: int | None = Field(default=None, ge=1, le=65_535, description="Its port.")
    protocol: str = Field(
        default="https",
        description="https; http only for 127.0.0.1 or localhost.",
    )

    @contextmanager
    def get_client(self) -> Iterator[SnowflakeConnectorClient]:
        """A `SnowflakeConnectorClient` on a new connection, closed at the end.

        Raises SnowflakeConfigurationError for unusable credentials or host
        settings before connecting, and the connector's sign-in failures as
        SnowflakeErrors.
        """
        self._check_settings()
        settings = self._dagster_resource()
        client_options = {
            "fetch_rows": self.fetch_rows,
            "log_queries": self.log_queries,
            "credential": self._credential(),
            "auth_advice": self._auth_advice(),
        }
        with ExitStack() as stack:
            connection = self._connect(stack, settings, client_options)
            yield stack.enter_context(
                SnowflakeConnectorClient(connection, **client_options)
            )

    def _credentials_given(self) -> list[str]:
        given = {
            "private_key": self.private_key,
            "programmatic_access_token": self.programmatic_access_token,
            "oauth_client_secret": self.oauth_client_secret,
            "oauth_token": self.oauth_token,
        }
        return [name for name, value in given.items() if value]

    def _check_settings(self) -> None:
        given = self._credentials_given()
        if len(given) != 1:
            raise SnowflakeConfigurationError(
                "give exactly one of private_key, programmatic_access_token, "
                f"oauth_client_secret and oauth_token, not {len(given)} "
                f"({', '.join(given) or 'none'})",
                advice="keep the one credential this user signs in with",
            )
        if self.oauth_client_secret and not self.oauth_client_id:
            raise SnowflakeConfigurationError(
                "oauth_client_secret is set without oauth_client_id",
                advice="set oauth_client_id to the OAuth client's id",
            )
        if self.private_key:
            load_private_key(self.private_key, self.private_key_passphrase)
        self._check_protocol()

    def _check_protocol(self) -> None:
        loopback = self.host in LOOPBACK_HOSTS
        if self.protocol != "https" and not (self.protocol == "http" and loopback):
            raise SnowflakeConfigurationError(
                f"protocol {self.protocol!r} is not allowed for host {self.host!r}",
                advice="use https; plain http is allowed only for 127.0.0.1 or "
                "localhost",
            )

    def _sign_in(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """dagster-snowflake settings and extra connect arguments for the credential.

        Secrets go straight to the connector; they are never logged or shown.
        """
        if self.private_key:
            return {"private_key": self._normalized_private_key()}, {}
        if self.programmatic_access_token:
            return {"authenticator": "PROGRAMMATIC_ACCESS_TOKEN"}, {
                "token": self.programmatic_access_token
            }
        if self.oauth_client_secret:
            flow = {
                "oauth_client_id": self.oauth_client_id,
                "oauth_client_secret": self.oauth_client_secret,
                "oauth_token_request_url": self.oauth_token_url,
                "oauth_scope": self.oauth_scope,
            }
            extra = {key: value for key, value in flow.items() if value}
            return {"authenticator": "OAUTH_CLIENT_CREDENTIALS"}, extra
        return {"authenticator": "oauth"}, {"token": self.oauth_token}

    def _normalized_private_key(self) -> str:
        """The key as unencrypted PKCS#8 PEM text, for dagster-snowflake.

        dagster-snowflake reads only plain PEM or base64 of it; the forms
        `load_private_key` also accepts (a PEM with literal "\\n", as .env
        files hold it) would fail there. The key stays in memory only, as the
        connector itself holds it.
        """
        key = load_private_key(self.private_key or "", self.private_key_passphrase)
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")

    def _dagster_resource(self) -> Any:
        """dagster-snowflake's resource for these settings (imported here)."""
        from dagster_snowflake import SnowflakeResource

        sign_in, extra = self._sign_in()
        extra["session_parameters"] = session_parameters(
            self.query_tag, self.timezone, self.statement_timeout_s
        )
        if self.host:
            extra.update(host=self.host, protocol=self.protocol)
        if self.port:
            extra["port"] = self.port
        return SnowflakeResource(
            **sign_in,
            account=AccountIdentifier.parse(self.account).host,
            user=self.user,
            warehouse=self.warehouse,
            database=self.database,
            schema=self.schema_,
            role=self.role,
            login_timeout=self.login_timeout_s,
            paramstyle="qmark",
            # Autocommit, as each SQL API statement is; it also keeps
            # dagster-snowflake from committing on a connection we closed.
            autocommit=True,
            additional_snowflake_connection_args=extra,
        )

    @staticmethod
    def _connect(stack: ExitStack, settings: Any, options: dict[str, Any]) -> Any:
        # dagster-snowflake skips close() when the block raises; the client's
        # own close() covers that.
        credential, advice = options["credential"], options["auth_advice"]
        from snowflake.connector.errors import Error

        try:
            return stack.enter_context(settings.get_connection())
        except Error as error:
            raise translate_error(
                error, credential=credential, auth_advice=advice
            ) from error
        except ValueError as error:
            # dagster-snowflake refuses settings (the key, above all) with a
            # bare ValueError; its texts name settings, never their values.
            raise SnowflakeConfigurationError(
                str(error) or type(error).__name__,
                summary=f"dagster-snowflake could not use the settings of {credential}",
                advice="check private_key (the whole PKCS#8 PEM key) and the "
                "other connection settings",
            ) from error

    def _credential(self) -> str:
        if self.private_key:
            what = f"the key pair of user {self.user}"
        elif self.programmatic_access_token:
            what = f"the programmatic access token of user {self.user}"
        elif self.oauth_client_secret:
            what = f"OAuth client {self.oauth_client_id} (user {self.user})"
        else:
            what = f"the OAuth token of user {self.user}"
        return f"{what} for account {self.account}"

    def _auth_advice(self) -> str:
        if self.private_key:
            return (
                f"check that the public key registered for user {self.user} "
                f"(DESC USER {self.user} shows RSA_PUBLIC_KEY_FP) matches "
                "private_key, and that this machine's clock is right"
            )
        if self.programmatic_access_token:
            return (
                "check that the token has not expired or been rotated, that it "
                "belongs to this user, and that a network policy admits this "
                "machine"
            )
        if self.oauth_client_secret:
            return (
                f"check that OAuth client {self.oauth_client_id} may sign in to "
                "this account, the token URL, and that the scope's role is "
                "granted to the user"
            )
        return (
            "check that the OAuth token has not expired, that it was issued "
            f"for user {self.user}, and that its role may use this account"
        )
