"""OAuth client credentials and programmatic access tokens, as the sandbox serves them.

`OAuthServer` is the token endpoint (`POST /oauth/token-request`): a registered
client sends `grant_type=client_credentials`, its id and secret (form fields or
HTTP Basic) and `scope=session:role:<ROLE>`, and gets an opaque random access
token that expires after `token_lifetime_s`. The role must be one the client
may use. `OAuthVerifier` then accepts that token as `OAUTH`; `PatVerifier`
accepts each user's registered programmatic access tokens as
`PROGRAMMATIC_ACCESS_TOKEN`.

Errors follow RFC 6749 at the token endpoint (`invalid_client`,
`invalid_scope`, ...) and Snowflake's 401 codes at the SQL API. Neither echoes
a secret or a token.
"""

import base64
import binascii
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tajo_assets.sandbox.snowflake.auth import (
    OAUTH,
    PROGRAMMATIC_ACCESS_TOKEN,
    Principal,
)
from tajo_assets.sandbox.snowflake.errors import (
    OAUTH_EXPIRED,
    OAUTH_INVALID,
    RequestRejected,
)

TOKEN_PATH = "/oauth/token-request"  # noqa: S105 (a path)
ROLE_SCOPE_PREFIX = "session:role:"


@dataclass(frozen=True)
class OAuthClient:
    """A registered OAuth client: its secret, the user it acts as, its roles.

    The first role is the one used when a token request names no scope.
    """

    secret: str
    user: str
    roles: tuple[str, ...] = ("PUBLIC",)

    def __repr__(self) -> str:
        return f"OAuthClient(user={self.user!r}, roles={self.roles!r})"


@dataclass(frozen=True)
class _Issued:
    user: str
    role: str
    expires_at: float


class OAuthServer:
    """Registered clients, the tokens issued to them, and their verification."""

    def __init__(
        self,
        account: str,
        *,
        token_lifetime_s: float = 600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.account = account
        self.token_lifetime_s = token_lifetime_s
        self.issued_count = 0
        self._clock = clock
        self._clients: dict[str, OAuthClient] = {}
        self._tokens: dict[str, _Issued] = {}
        self._lock = threading.Lock()

    def register_client(self, client_id: str, client: OAuthClient) -> None:
        with self._lock:
            self._clients[client_id] = client

    async def token_request(self, request: Request) -> Response:
        """`POST /oauth/token-request`: a token for a client's credentials."""
        form = _form_fields(await request.body())
        client_id, secret = _client_credentials(request, form)
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(
                400,
                "unsupported_grant_type",
                "This sandbox issues tokens for grant_type=client_credentials only.",
            )
        client = self._authenticated_client(client_id, secret)
        if client is None:
            return _oauth_error(
                401,
                "invalid_client",
                f"Client {client_id!r} is unknown or its secret is wrong.",
            )
        role = _requested_role(form.get("scope", ""), client)
        if role is None:
            return _oauth_error(
                400,
                "invalid_scope",
                f"The scope must be session:role:<ROLE> with a role client "
                f"{client_id!r} may use: {', '.join(client.roles)}.",
            )
        return JSONResponse(self._issue(client, role))

    def verify(self, token: str) -> Principal:
        """The user of a token this server issued; 401 if unknown or expired."""
        with self._lock:
            issued = self._tokens.get(token)
        if issued is None:
            raise RequestRejected(
                401,
                OAUTH_INVALID,
                "Invalid OAuth access token. Request a new one from the token "
                "endpoint.",
            )
        if issued.expires_at <= self._clock():
            raise RequestRejected(
                401,
                OAUTH_EXPIRED,
                "OAuth access token expired. Request a new one from the token "
                "endpoint.",
            )
        return Principal(self.account, issued.user, OAUTH)

    def _authenticated_client(self, client_id: str, secret: str) -> OAuthClient | None:
        with self._lock:
            client = self._clients.get(client_id)
        if client is None or not hmac.compare_digest(
            client.secret.encode(), secret.encode()
        ):
            return None
        return client

    def _issue(self, client: OAuthClient, role: str) -> dict:
        token = f"sandbox-oauth-{secrets.token_urlsafe(32)}"
        expires_at = self._clock() + self.token_lifetime_s
        with self._lock:
            self._tokens[token] = _Issued(client.user.upper(), role, expires_at)
            self.issued_count += 1
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": int(self.token_lifetime_s),
            "scope": f"{ROLE_SCOPE_PREFIX}{role}",
        }


class PatVerifier:
    """Accepts each user's registered programmatic access tokens."""

    def __init__(self, account: str) -> None:
        self.account = account
        self._users_by_token: dict[str, str] = {}
        self._lock = threading.Lock()

    def register(self, user: str, token: str) -> None:
        """Let `token` sign in as `user` (upper-cased); a user may hold several."""
        with self._lock:
            self._users_by_token[token] = user.upper()

    def verify(self, token: str) -> Principal:
        with self._lock:
            candidates = list(self._users_by_token.items())
        for known, user in candidates:
            if hmac.compare_digest(known.encode(), token.encode()):
                return Principal(self.account, user, PROGRAMMATIC_ACCESS_TOKEN)
        raise RequestRejected(
            401,
            OAUTH_INVALID,
            "Programmatic access token is invalid. Check that it is current and "
            "belongs to this account's user; generate a new one if it expired.",
        )


def _form_fields(body: bytes) -> dict[str, str]:
    """An application/x-www-form-urlencoded body; the first value of each field."""
    fields = parse_qs(body.decode("utf-8", errors="replace"))
    return {name: values[0] for name, values in fields.items()}


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str]:
    """Client id and secret from HTTP Basic, else from the form fields."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(encoded, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    return form.get("client_id", ""), form.get("client_secret", "")


def _requested_role(scope: str, client: OAuthClient) -> str | None:
    """The role of a `session:role:<ROLE>` scope, if the client may use it."""
    if not scope.strip():
        return client.roles[0] if client.roles else None
    for part in scope.split():
        if part.lower().startswith(ROLE_SCOPE_PREFIX):
            role = part[len(ROLE_SCOPE_PREFIX) :].upper()
            return role if role in {r.upper() for r in client.roles} else None
    return None


def _oauth_error(status: int, error: str, description: str) -> Response:
    return JSONResponse(
        {"error": error, "error_description": description}, status_code=status
    )
