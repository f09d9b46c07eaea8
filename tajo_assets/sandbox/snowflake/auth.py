"""Who is calling: the `Authorization` header checked as Snowflake checks it.

Each token type (`X-Snowflake-Authorization-Token-Type`) has its own
`TokenVerifier`; the `Authenticator` picks one by type. Key-pair JWTs are
verified here; OAuth access tokens and programmatic access tokens in `oauth.py`.

Refusals never echo the token: they say which claim or key was wrong and how to
fix it.
"""

import base64
import binascii
import hashlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tajo_assets.sandbox.snowflake.errors import (
    JWT_INVALID,
    OAUTH_INVALID,
    TOKEN_MISSING,
    RequestRejected,
)

KEYPAIR_JWT = "KEYPAIR_JWT"
OAUTH = "OAUTH"
PROGRAMMATIC_ACCESS_TOKEN = "PROGRAMMATIC_ACCESS_TOKEN"  # noqa: S105 (a type name)

MAX_LIFETIME_S = 3600
CLOCK_SKEW_S = 60


@dataclass(frozen=True)
class Principal:
    """The account and user a request runs as."""

    account: str
    user: str
    token_type: str


class TokenVerifier(Protocol):
    def verify(self, token: str) -> Principal:
        """Return who the token names, or raise `RequestRejected` (401)."""
        ...


def public_key_fingerprint(public_pem: str) -> str:
    """`SHA256:<base64 of the SHA-256 of the DER SubjectPublicKeyInfo>`.

    The value Snowflake shows as `RSA_PUBLIC_KEY_FP` and expects after the user
    in a key-pair JWT's `iss` claim.
    """
    key = serialization.load_pem_public_key(public_pem.encode())
    der = key.public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo,
    )
    return "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode()


def jwt_invalid(reason: str) -> RequestRejected:
    return RequestRejected(401, JWT_INVALID, f"JWT token is invalid. {reason}")


@dataclass(frozen=True)
class _RegisteredKey:
    public_key: rsa.RSAPublicKey
    fingerprint: str


@dataclass(frozen=True)
class _Jwt:
    header: dict
    claims: dict
    signed_part: bytes
    signature: bytes


class KeyPairJwtVerifier:
    """Verifies RS256 key-pair JWTs against each user's registered public keys.

    A user holds up to two keys (RSA_PUBLIC_KEY and RSA_PUBLIC_KEY_2, for
    rotation); a token signed with either is accepted.

    Checks, in order: shape, algorithm, `iss` (account, user, fingerprint of the
    registered key), `sub`, signature, `iat`/`exp` (not expired, lifetime at most
    one hour, a minute of clock skew allowed). `iat`/`exp` may be seconds or
    milliseconds since the epoch, as Snowflake accepts both.
    """

    def __init__(self, account: str, clock: Callable[[], float] = time.time) -> None:
        self.account = account
        self._clock = clock
        self._keys: dict[str, dict[int, _RegisteredKey]] = {}

    def register(self, user: str, public_pem: str, slot: int = 1) -> None:
        """Register (or replace) public key `slot` (1 or 2) of `user` (upper-cased)."""
        key = serialization.load_pem_public_key(public_pem.encode())
        if not isinstance(key, rsa.RSAPublicKey):
            raise ValueError(
                f"the public key registered for {user.upper()} is not an RSA key; "
                "Snowflake key-pair authentication takes RSA keys (2048 bits)"
            )
        registered = _RegisteredKey(key, public_key_fingerprint(public_pem))
        self._keys.setdefault(user.upper(), {})[slot] = registered

    def unregister(self, user: str, slot: int = 1) -> None:
        """Forget public key `slot` of `user`; nothing happens if it has none."""
        self._keys.get(user.upper(), {}).pop(slot, None)

    def verify(self, token: str) -> Principal:
        jwt = _decode(token)
        if jwt.header.get("alg") != "RS256":
            raise jwt_invalid(
                f"The token is signed with {jwt.header.get('alg')!r}; key-pair "
                "authentication takes RS256."
            )
        user, registered = self._check_issuer(jwt.claims)
        self._check_subject(jwt.claims, user)
        self._check_signature(jwt, user, registered)
        self._check_times(jwt.claims)
        return Principal(self.account, user, KEYPAIR_JWT)

    def _check_issuer(self, claims: dict) -> tuple[str, _RegisteredKey]:
        issuer = claims.get("iss")
        if not isinstance(issuer, str) or ".SHA256:" not in issuer:
            raise jwt_invalid(
                "The 'iss' claim must read <ACCOUNT>.<USER>.SHA256:<public key "
                "fingerprint>."
            )
        qualified_user, fingerprint = issuer.split(".SHA256:", 1)
        account, _, user = qualified_user.partition(".")
        self._check_account(account, "iss")
        keys = list(self._keys.get(user, {}).values())
        if not keys:
            raise jwt_invalid(
                f"User {user!r} named in the 'iss' claim has no registered public "
                "key in this account; register the user's key (user names are "
                "upper-case)."
            )
        for registered in keys:
            if f"SHA256:{fingerprint}" == registered.fingerprint:
                return user, registered
        known = " or ".join(key.fingerprint for key in keys)
        raise jwt_invalid(
            f"The 'iss' claim names public key SHA256:{fingerprint}, but user "
            f"{user}'s registered key is {known}; sign with the private key that "
            "belongs to the registered public key."
        )

    def _check_account(self, account: str, claim: str) -> None:
        if account != self.account:
            raise jwt_invalid(
                f"The '{claim}' claim names account {account!r}, but this is account "
                f"{self.account!r}; use the account identifier in upper case, with "
                "periods replaced by hyphens and no region."
            )

    def _check_subject(self, claims: dict, user: str) -> None:
        expected = f"{self.account}.{user}"
        if claims.get("sub") != expected:
            raise jwt_invalid(
                f"The 'sub' claim must be {expected!r} (<ACCOUNT>.<USER>)."
            )

    def _check_signature(
        self, jwt: _Jwt, user: str, registered: _RegisteredKey
    ) -> None:
        try:
            registered.public_key.verify(
                jwt.signature, jwt.signed_part, padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature:
            raise jwt_invalid(
                f"The signature does not verify against user {user}'s registered "
                "public key; sign with the matching private key."
            ) from None

    def _check_times(self, claims: dict) -> None:
        issued, expires = _epoch_seconds(claims, "iat"), _epoch_seconds(claims, "exp")
        now = self._clock()
        if issued > now + CLOCK_SKEW_S:
            raise jwt_invalid(
                f"The token is issued {issued - now:.0f} s in the future; check the "
                "clock of the machine that signs it."
            )
        if expires <= now:
            raise jwt_invalid(
                f"The token expired {now - expires:.0f} s ago; sign a new one "
                "(tokens live at most one hour)."
            )
        if expires - issued > MAX_LIFETIME_S + CLOCK_SKEW_S:
            raise jwt_invalid(
                f"The token's lifetime (exp - iat) is {expires - issued:.0f} s; "
                f"Snowflake accepts at most {MAX_LIFETIME_S} s."
            )


def _decode(token: str) -> _Jwt:
    parts = token.split(".")
    if len(parts) != 3:
        raise jwt_invalid(
            "The token is not a JWT (three base64url parts joined by '.')."
        )
    try:
        header = json.loads(_b64url(parts[0]))
        claims = json.loads(_b64url(parts[1]))
        signature = _b64url(parts[2])
    except (ValueError, binascii.Error):
        raise jwt_invalid("The token's parts are not base64url-encoded JSON.") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise jwt_invalid("The token's header and claims must be JSON objects.")
    signed_part = f"{parts[0]}.{parts[1]}".encode()
    return _Jwt(header, claims, signed_part, signature)


def _b64url(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _epoch_seconds(claims: dict, name: str) -> float:
    value = claims.get(name)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise jwt_invalid(f"The '{name}' claim must be a number (seconds since epoch).")
    # Snowflake takes milliseconds too; no date in seconds reaches 1e11 before 5138.
    return value / 1000 if value > 1e11 else float(value)


class Authenticator:
    """Maps the request's authorization headers to a `Principal`."""

    def __init__(self, verifiers: Mapping[str, TokenVerifier]) -> None:
        self._verifiers = dict(verifiers)

    def authenticate(
        self, authorization: str | None, token_type: str | None
    ) -> Principal:
        """Raise `RequestRejected` (401) unless the bearer token verifies."""
        token = _bearer_token(authorization)
        kind = (token_type or _guess_token_type(token)).strip().upper()
        verifier = self._verifiers.get(kind)
        if verifier is None:
            accepted = ", ".join(sorted(self._verifiers))
            raise RequestRejected(
                401,
                OAUTH_INVALID,
                f"Token type {kind!r} is not accepted by this Snowflake sandbox; "
                f"send one of: {accepted} (X-Snowflake-Authorization-Token-Type).",
            )
        return verifier.verify(token)


def _bearer_token(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise RequestRejected(
            401,
            TOKEN_MISSING,
            "Missing access token; send the header 'Authorization: Bearer <token>'.",
        )
    return token.strip()


def _guess_token_type(token: str) -> str:
    # Without the header Snowflake inspects the token; a JWT here is a key-pair JWT.
    return KEYPAIR_JWT if token.count(".") == 2 else OAUTH
