"""Credentials for the SQL API, account identifiers and base URLs.

Three kinds of credential implement the `Auth` protocol the client uses:

- `KeyPairAuth`: a JWT signed with `cryptography` alone (RS256). Its claims
  follow Snowflake's key-pair documentation: `iss =
  ACCOUNT.USER.SHA256:<fingerprint>`, `sub = ACCOUNT.USER`, `iat`, `exp` at
  most one hour later, where ACCOUNT is the account identifier in upper case,
  without region, with periods turned to hyphens.
- `OAuthClientCredentialsAuth`: an OAuth 2.0 access token from a token
  endpoint (Snowflake's own `/oauth/token-request` or an external IdP),
  obtained with the client credentials grant.
- `ProgrammaticAccessTokenAuth`: a programmatic access token (PAT).
"""

import base64
import binascii
import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

import httpx
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tajo_assets.snowflake.errors import (
    SnowflakeAuthError,
    SnowflakeConfigurationError,
    SnowflakeError,
    SnowflakeResponseError,
    SnowflakeUnavailableError,
)

HOST_SUFFIX = ".snowflakecomputing.com"
DEFAULT_LIFETIME = timedelta(minutes=59)
RENEW_BEFORE_EXPIRY = timedelta(minutes=5)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

_ACCOUNT_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-.")
# Trailing parts of a legacy account locator that are not part of the account.
_LOCATOR_QUALIFIERS = frozenset({"aws", "gcp", "azure", "privatelink", "global"})
_JWT_HEADER = {"alg": "RS256", "typ": "JWT"}


class Auth(Protocol):
    """What the SQL API client needs from a credential."""

    def headers(self, timeout_s: float | None = None) -> dict[str, str]:
        """The Authorization headers for the next request.

        `timeout_s` bounds any network call made to get a token (None: the
        credential's own HTTP timeout).
        """
        ...

    def renew(self) -> None:
        """Forget any cached token, so the next `headers()` makes a new one."""
        ...

    def describe(self) -> str:
        """Which credential this is, for error messages; never the secret."""
        ...

    def advice(self) -> str:
        """What to check when Snowflake refuses this credential."""
        ...


@dataclass(frozen=True)
class AccountIdentifier:
    """A Snowflake account as the SQL API needs it.

    `host` is the label in front of `.snowflakecomputing.com`; `jwt_name` is the
    upper-case account name that goes into JWT claims.
    """

    host: str
    jwt_name: str

    @classmethod
    def parse(cls, account: str) -> "AccountIdentifier":
        """Read any documented form: `myorg-myacct`, `myorg.my_acct`,
        `xy12345.us-east-2.aws`, `<name>.global`, or a full
        `https://<account>.snowflakecomputing.com` host.

        Raises SnowflakeConfigurationError for anything else.
        """
        host = _strip_host(account)
        parts = host.split(".")
        if not host or not set(host) <= _ACCOUNT_CHARACTERS or "" in parts:
            raise SnowflakeConfigurationError(
                f"account {account!r} is not a Snowflake account identifier",
                advice="use the form orgname-account_name (e.g. myorg-myacct), "
                "orgname.account_name, or a locator such as xy12345.us-east-2.aws",
            )
        if "global" in parts[1:]:
            # Snowflake's own driver keeps the part before the first hyphen here.
            return cls(host, parts[0].partition("-")[0].upper())
        if _is_organization_form(parts):
            hyphenated = "-".join(parts)
            return cls(hyphenated, hyphenated.upper())
        return cls(host, parts[0].upper())

    @property
    def url(self) -> str:
        return f"https://{self.host}{HOST_SUFFIX}"


def _strip_host(account: str) -> str:
    text = account.strip().lower()
    for scheme in ("https://", "http://"):
        if text.startswith(scheme):
            text = text.removeprefix(scheme).rstrip("/")
    return text.removesuffix(HOST_SUFFIX)


def _is_organization_form(parts: list[str]) -> bool:
    """`orgname.account_name`: two parts, the second neither a region nor a cloud.

    Region ids always contain a hyphen (us-east-2, europe-west2, west-europe);
    account names never do, they use underscores.
    """
    return (
        len(parts) == 2 and "-" not in parts[1] and parts[1] not in _LOCATOR_QUALIFIERS
    )


def resolve_base_url(account: str, base_url: str | None = None) -> str:
    """The SQL API root: `base_url` if given, else the account's own host.

    `base_url` must be https, except on 127.0.0.1/localhost (the local sandbox).
    """
    if base_url is None or not base_url.strip():
        return AccountIdentifier.parse(account).url
    return _https_url(
        base_url,
        "base_url",
        "use https://<account>.snowflakecomputing.com, or leave base_url empty",
    )


def _https_url(text: str, setting: str, advice: str) -> str:
    """`text` as an https URL (http only on loopback), without a trailing /.

    A URL carrying `user:password@` is refused without quoting it: messages
    and logs name these URLs, and the password would go with them.
    """
    try:
        url = httpx.URL(text.strip())
    except httpx.InvalidURL:
        url = httpx.URL()
    if url.userinfo:
        raise SnowflakeConfigurationError(
            f"{setting} (host {url.host or 'unknown'}) carries a user name or "
            "password before the host",
            advice=f"remove the 'user:password@' part; {advice}",
        )
    loopback = url.host in LOOPBACK_HOSTS
    if url.host and (url.scheme == "https" or (url.scheme == "http" and loopback)):
        return str(url).rstrip("/")
    raise SnowflakeConfigurationError(
        f"{setting} {text!r} is not an https URL",
        advice=f"{advice}; plain http is allowed only for 127.0.0.1 or localhost",
    )


def load_private_key(private_key: str, passphrase: str | None = None):
    """Load an RSA private key from PKCS#8 PEM text (or base64 of that text).

    Raises SnowflakeConfigurationError naming the setting at fault
    (private_key or private_key_passphrase); neither value is ever quoted.
    """
    data = _pem_bytes(private_key)
    password = passphrase.encode() if passphrase else None
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except TypeError as error:  # encrypted key without passphrase, or the reverse
        raise _passphrase_mismatch(passphrase) from error
    except (ValueError, UnsupportedAlgorithm) as error:
        raise _unreadable_key(data, passphrase) from error
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SnowflakeConfigurationError(
            f"private_key is a {type(key).__name__.removeprefix('_')} key, "
            "not an RSA key",
            advice="generate an RSA key pair (openssl genrsa 2048) and register "
            "its public key with ALTER USER ... SET RSA_PUBLIC_KEY",
        )
    return key


def _pem_bytes(private_key: str) -> bytes:
    text = private_key.strip()
    if "-----BEGIN" in text:
        if "\n" not in text:
            # A PEM pasted into a .env file often arrives with literal "\n".
            text = text.replace("\\n", "\n")
        return text.encode()
    try:
        decoded = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if decoded.lstrip().startswith(b"-----BEGIN"):
        return decoded
    raise SnowflakeConfigurationError(
        "private_key is neither PEM text nor base64-encoded PEM text",
        advice="pass the whole PKCS#8 key file, from -----BEGIN PRIVATE KEY----- "
        "to its END line, or its base64 encoding",
    )


def _passphrase_mismatch(passphrase: str | None) -> SnowflakeConfigurationError:
    if passphrase:
        return SnowflakeConfigurationError(
            "private_key_passphrase is set but the private key is not encrypted",
            advice="remove private_key_passphrase, or use the encrypted key file",
        )
    return SnowflakeConfigurationError(
        "the private key is encrypted but private_key_passphrase is not set",
        advice="set private_key_passphrase to the key's passphrase",
    )


def _unreadable_key(data: bytes, passphrase: str | None) -> SnowflakeConfigurationError:
    if passphrase and b"ENCRYPTED" in data:
        return SnowflakeConfigurationError(
            "private_key_passphrase does not decrypt the private key",
            advice="check the passphrase the key was encrypted with",
        )
    return SnowflakeConfigurationError(
        "private_key could not be read as a PKCS#8 PEM private key",
        advice="check that the whole key file was copied, including its BEGIN "
        "and END lines, and that it is the private (not the public) key",
    )


def public_key_fingerprint(public_key) -> str:
    """`SHA256:` + base64 of the SHA-256 of the DER SubjectPublicKeyInfo.

    The value Snowflake shows as RSA_PUBLIC_KEY_FP in DESC USER.
    """
    der = public_key.public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo,
    )
    return "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode()


def _bearer_headers(token: str, token_type: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "X-Snowflake-Authorization-Token-Type": token_type,
    }


class _ExpiringToken:
    """A token cached until shortly before it expires; thread-safe.

    Subclasses set `token_type` and `_renew_before_s` and make a new token in
    `_new_token(now)`, returning it with its expiry (seconds since the epoch).
    The token is renewed `_renew_before_s` (or a quarter of its lifetime, if
    shorter) before it expires; `renew()` (called once on a 401) forgets it.
    """

    token_type = ""
    _renew_before_s = 0.0

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0

    def _new_token(self, now: float, timeout_s: float | None) -> tuple[str, float]:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def token(self, timeout_s: float | None = None) -> str:
        """A current token, made anew only when the cached one nears expiry.

        `timeout_s` bounds both the wait for another thread making a token
        and the network call of making one; past it SnowflakeUnavailableError.
        """
        if not self._lock.acquire(timeout=-1 if timeout_s is None else timeout_s):
            raise SnowflakeUnavailableError(
                f"another request was still getting a token after {timeout_s} s",
                summary=f"{self.describe()} was not ready in time",
                advice="try again later",
            )
        try:
            now = self._clock()
            if self._token is None or now >= self._renew_at:
                self._token, expires_at = self._new_token(now, timeout_s)
                margin = min(self._renew_before_s, (expires_at - now) / 4)
                self._renew_at = expires_at - margin
            return self._token
        finally:
            self._lock.release()

    def renew(self) -> None:
        with self._lock:
            self._token = None

    def headers(self, timeout_s: float | None = None) -> dict[str, str]:
        return _bearer_headers(self.token(timeout_s), self.token_type)


class KeyPairAuth(_ExpiringToken):
    """Signs and caches the key-pair JWT for one user of one account.

    The token is reused until `RENEW_BEFORE_EXPIRY` (or a quarter of its
    lifetime, if shorter) before it expires, then signed again. Thread-safe.
    The key and the token never appear in repr, logs or errors.
    """

    token_type = "KEYPAIR_JWT"  # noqa: S105 - the header value, not a secret
    _renew_before_s = RENEW_BEFORE_EXPIRY.total_seconds()

    def __init__(
        self,
        account: str,
        user: str,
        private_key_pem: str,
        passphrase: str | None = None,
        *,
        lifetime: timedelta = DEFAULT_LIFETIME,
        jwt_account: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not user or not user.strip():
            raise SnowflakeConfigurationError("user is empty; set the Snowflake user")
        if jwt_account and jwt_account.strip():
            self.account = jwt_account.strip().upper()
        else:
            self.account = AccountIdentifier.parse(account).jwt_name
        self.user = user.strip().upper()
        self._lifetime_s = _lifetime_seconds(lifetime)
        self._private_key = load_private_key(private_key_pem, passphrase)
        self.fingerprint = public_key_fingerprint(self._private_key.public_key())
        super().__init__(clock)

    def __repr__(self) -> str:
        return (
            f"KeyPairAuth(account={self.account!r}, user={self.user!r}, "
            f"fingerprint={self.fingerprint!r})"
        )

    def claims(self, now: float) -> dict[str, object]:
        """The JWT claims for a token issued at `now` (seconds since the epoch)."""
        qualified_user = f"{self.account}.{self.user}"
        issued_at = int(now)
        return {
            "iss": f"{qualified_user}.{self.fingerprint}",
            "sub": qualified_user,
            "iat": issued_at,
            "exp": issued_at + self._lifetime_s,
        }

    def _new_token(self, now: float, timeout_s: float | None) -> tuple[str, float]:
        # Signed locally: nothing to bound by timeout_s.
        claims = self.claims(now)
        return _sign_jwt(self._private_key, claims), float(claims["exp"])

    def describe(self) -> str:
        return f"the key pair of user {self.user} for account {self.account}"

    def advice(self) -> str:
        return (
            f"check that the public key registered for user {self.user} has "
            f"fingerprint {self.fingerprint} (DESC USER {self.user} shows it as "
            f"RSA_PUBLIC_KEY_FP), that {self.account} is the account (set "
            "jwt_account if your account needs another form, such as its "
            "locator), and that this machine's clock is right"
        )


def _lifetime_seconds(lifetime: timedelta) -> int:
    seconds = int(lifetime.total_seconds())
    if not 0 < seconds < 3600:
        raise SnowflakeConfigurationError(
            f"JWT lifetime {lifetime} is out of range",
            advice="use a lifetime between 1 second and 59 minutes; Snowflake "
            "accepts a key-pair JWT for at most one hour",
        )
    return seconds


def _sign_jwt(private_key: rsa.RSAPrivateKey, claims: dict[str, object]) -> str:
    header = _base64url(json.dumps(_JWT_HEADER, separators=(",", ":")).encode())
    payload = _base64url(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}".encode("ascii")
    signature = private_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{payload}.{_base64url(signature)}"


def _base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


# An OAuth token is fetched anew this long (or a quarter of its lifetime, if
# shorter) before it expires.
OAUTH_RENEW_BEFORE_EXPIRY_S = 60.0
OAUTH_TOKEN_PATH = "/oauth/token-request"  # noqa: S105 - a path, not a secret


def default_oauth_token_url(base_url: str) -> str:
    """Snowflake's own token endpoint for the SQL API at `base_url`."""
    return f"{base_url.rstrip('/')}{OAUTH_TOKEN_PATH}"


def role_scope(role: str | None) -> str | None:
    """The OAuth scope that asks for a session in `role` (None: no scope)."""
    return f"session:role:{role}" if role else None


class OAuthClientCredentialsAuth(_ExpiringToken):
    """An OAuth 2.0 access token from the client credentials grant, cached.

    The token is requested from `token_url` (form fields grant_type,
    client_id, client_secret and scope) and reused until shortly before its
    `expires_in`; `renew()` (called once on a 401) forgets it. Thread-safe.
    Raises SnowflakeAuthError when the endpoint refuses the client (naming the
    client id, never the secret), SnowflakeUnavailableError when it cannot be
    reached. The secret and the token never appear in repr, logs or errors.
    """

    token_type = "OAUTH"  # noqa: S105 - the header value, not a secret
    _renew_before_s = OAUTH_RENEW_BEFORE_EXPIRY_S

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        scope: str | None = None,
        *,
        http_timeout_s: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not client_id or not client_id.strip():
            raise SnowflakeConfigurationError(
                "oauth client_id is empty; set the OAuth client's id"
            )
        if not client_secret:
            raise SnowflakeConfigurationError(
                f"the client secret of OAuth client {client_id!r} is empty",
                advice="set client_secret to the variable holding the secret",
            )
        self.token_url = _https_url(
            token_url, "oauth token_url", "use the https URL of the token endpoint"
        )
        self.client_id = client_id.strip()
        self.scope = scope
        self._client_secret = client_secret
        self._http_timeout_s = http_timeout_s
        super().__init__(clock)

    def __repr__(self) -> str:
        return (
            f"OAuthClientCredentialsAuth(token_url={self.token_url!r}, "
            f"client_id={self.client_id!r}, scope={self.scope!r})"
        )

    def _new_token(self, now: float, timeout_s: float | None) -> tuple[str, float]:
        limit = self._http_timeout_s
        if timeout_s is not None:
            limit = min(limit, timeout_s)
        token, lifetime_s = self._request_token(limit)
        return token, now + lifetime_s

    def describe(self) -> str:
        return f"the OAuth token of client {self.client_id}"

    def advice(self) -> str:
        return (
            f"check that OAuth client {self.client_id} may sign in to this "
            "account (its security integration is enabled), that the token "
            f"comes from the right endpoint ({self.token_url}), and that the "
            "scope's role is granted to its user"
        )

    def _request_token(self, timeout_s: float) -> tuple[str, float]:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._client_secret,
        }
        if self.scope:
            form["scope"] = self.scope
        try:
            response = httpx.post(
                self.token_url,
                data=form,
                headers={"Accept": "application/json"},
                timeout=timeout_s,
            )
        except httpx.HTTPError as error:
            raise SnowflakeUnavailableError(
                type(error).__name__,
                summary=f"the OAuth token endpoint {self.token_url} did not answer",
                advice="check oauth token_url and the network",
            ) from error
        return self._read_token(response)

    def _read_token(self, response: httpx.Response) -> tuple[str, float]:
        try:
            body = response.json()
        except ValueError:
            body = None
        body = body if isinstance(body, dict) else {}
        if response.status_code != 200:
            raise self._refused(response.status_code, body)
        token, expires_in = body.get("access_token"), body.get("expires_in", 600)
        if not isinstance(token, str) or not token:
            raise SnowflakeResponseError(
                "the answer has no access_token",
                summary=f"the OAuth token endpoint {self.token_url} answered oddly",
                http_status=response.status_code,
                advice="check that oauth token_url is a token endpoint",
            )
        lifetime = float(expires_in) if isinstance(expires_in, int | float) else 600
        return token, max(lifetime, 1.0)

    def _refused(self, status: int, body: dict) -> SnowflakeError:
        # error and error_description are RFC 6749's; they never hold the secret.
        reason = " ".join(
            str(body[key]) for key in ("error", "error_description") if body.get(key)
        )
        fields = {"message": reason or f"HTTP {status}", "http_status": status}
        if status >= 500 or status == 429:
            return SnowflakeUnavailableError(
                **fields,
                summary=f"the OAuth token endpoint {self.token_url} failed",
                advice="try again later",
            )
        return SnowflakeAuthError(
            **fields,
            summary=f"the OAuth token endpoint {self.token_url} refused client "
            f"{self.client_id}",
            advice="check the client id, the client secret in its environment "
            f"variable, and the scope ({self.scope or 'none'}): its role must be "
            "one the client may use",
        )


class ProgrammaticAccessTokenAuth:
    """A programmatic access token (PAT) of one user, sent as it is.

    Nothing to renew: a PAT lives until it expires or is rotated, then
    Snowflake refuses it (401) and a new one must be set. Never in repr.
    """

    token_type = "PROGRAMMATIC_ACCESS_TOKEN"  # noqa: S105 - the header value

    def __init__(self, user: str, token: str) -> None:
        if not token or not token.strip():
            raise SnowflakeConfigurationError(
                "the programmatic access token is empty",
                advice="set token to the variable holding the user's PAT",
            )
        self.user = (user or "").strip().upper()
        self._token = token.strip()

    def __repr__(self) -> str:
        return f"ProgrammaticAccessTokenAuth(user={self.user!r})"

    def renew(self) -> None:
        """Nothing to do: the same token is all there is."""

    def headers(self, timeout_s: float | None = None) -> dict[str, str]:
        return _bearer_headers(self._token, self.token_type)

    def describe(self) -> str:
        return f"the programmatic access token of user {self.user or '(unnamed)'}"

    def advice(self) -> str:
        return (
            "check that the token has not expired or been rotated (SHOW USER "
            "PROGRAMMATIC ACCESS TOKENS lists them), that it belongs to this "
            "account, and that a network policy admits this machine (Snowflake "
            "requires one for PATs of service users)"
        )
