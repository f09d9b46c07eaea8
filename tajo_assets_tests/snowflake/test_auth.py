"""Key-pair JWTs, account identifiers and base URLs, checked without a server."""

import base64
import hashlib
import json
from datetime import timedelta

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

from tajo_assets.snowflake import (
    AccountIdentifier,
    KeyPairAuth,
    OAuthClientCredentialsAuth,
    SnowflakeConfigurationError,
    resolve_base_url,
)
from tajo_assets.snowflake.keys import generate_key_pair


def _segment(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def decode_jwt(token: str, public_pem: str) -> tuple[dict, dict]:
    """Header and claims of `token`, after verifying its RS256 signature."""
    header, claims, signature = token.split(".")
    public_key = serialization.load_pem_public_key(public_pem.encode())
    public_key.verify(
        _segment(signature),
        f"{header}.{claims}".encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
    return json.loads(_segment(header)), json.loads(_segment(claims))


def expected_fingerprint(public_pem: str) -> str:
    der = serialization.load_pem_public_key(public_pem.encode()).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode()


class FrozenClock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_token_is_rs256_signed_with_documented_claims(key_pair):
    clock = FrozenClock()
    auth = KeyPairAuth("myorg-myacct", "etl_user", key_pair.private_pem, clock=clock)

    header, claims = decode_jwt(auth.token(), key_pair.public_pem)

    fingerprint = expected_fingerprint(key_pair.public_pem)
    assert header == {"alg": "RS256", "typ": "JWT"}
    assert claims == {
        "iss": f"MYORG-MYACCT.ETL_USER.{fingerprint}",
        "sub": "MYORG-MYACCT.ETL_USER",
        "iat": 1_800_000_000,
        "exp": 1_800_000_000 + 59 * 60,
    }
    assert len(fingerprint) == len("SHA256:") + 44


def test_token_signed_with_one_key_does_not_verify_with_another(
    key_pair, other_key_pair
):
    auth = KeyPairAuth("myorg-myacct", "etl_user", key_pair.private_pem)

    with pytest.raises(InvalidSignature):
        decode_jwt(auth.token(), other_key_pair.public_pem)


def test_encrypted_key_with_its_passphrase_signs_tokens(key_pair):
    auth = KeyPairAuth(
        "myorg-myacct",
        "etl_user",
        key_pair.encrypted_private_pem,
        key_pair.passphrase,
    )

    _, claims = decode_jwt(auth.token(), key_pair.public_pem)
    assert claims["sub"] == "MYORG-MYACCT.ETL_USER"


def test_base64_encoded_pem_and_escaped_newlines_are_accepted(key_pair):
    encoded = base64.b64encode(key_pair.private_pem.encode()).decode()
    escaped = key_pair.private_pem.strip().replace("\n", "\\n")

    for private_key in (encoded, escaped):
        auth = KeyPairAuth("myorg-myacct", "etl_user", private_key)
        decode_jwt(auth.token(), key_pair.public_pem)


ACCOUNT_FORMS = [
    ("myorg-myacct", "MYORG-MYACCT", "https://myorg-myacct.snowflakecomputing.com"),
    (
        "myorg.my_acct",
        "MYORG-MY_ACCT",
        "https://myorg-my_acct.snowflakecomputing.com",
    ),
    (
        "xy12345.us-east-2.aws",
        "XY12345",
        "https://xy12345.us-east-2.aws.snowflakecomputing.com",
    ),
    ("xy12345", "XY12345", "https://xy12345.snowflakecomputing.com"),
    (
        "xy12345.us-central1.gcp",
        "XY12345",
        "https://xy12345.us-central1.gcp.snowflakecomputing.com",
    ),
    (
        "https://MyOrg-MyAcct.snowflakecomputing.com/",
        "MYORG-MYACCT",
        "https://myorg-myacct.snowflakecomputing.com",
    ),
    (
        "your-account.snowflakecomputing.com",
        "YOUR-ACCOUNT",
        "https://your-account.snowflakecomputing.com",
    ),
    (
        "myorg-myacct.privatelink",
        "MYORG-MYACCT",
        "https://myorg-myacct.privatelink.snowflakecomputing.com",
    ),
    (
        "myacct-conn1.global",
        "MYACCT",
        "https://myacct-conn1.global.snowflakecomputing.com",
    ),
]


@pytest.mark.parametrize(
    ("account", "jwt_name", "url"),
    ACCOUNT_FORMS,
    ids=[form[0] for form in ACCOUNT_FORMS],
)
def test_account_forms(account, jwt_name, url):
    identifier = AccountIdentifier.parse(account)

    assert identifier.jwt_name == jwt_name
    assert identifier.url == url
    assert resolve_base_url(account) == url


def test_claims_use_the_account_rule_and_upper_case_user(key_pair):
    auth = KeyPairAuth("myorg.my_acct", "Etl_User", key_pair.private_pem)

    _, claims = decode_jwt(auth.token(), key_pair.public_pem)

    assert claims["sub"] == "MYORG-MY_ACCT.ETL_USER"
    assert claims["iss"].startswith("MYORG-MY_ACCT.ETL_USER.SHA256:")


def test_jwt_account_override_replaces_the_derived_name(key_pair):
    auth = KeyPairAuth(
        "myorg-myacct", "etl_user", key_pair.private_pem, jwt_account="xy12345"
    )

    _, claims = decode_jwt(auth.token(), key_pair.public_pem)

    assert claims["sub"] == "XY12345.ETL_USER"


@pytest.mark.parametrize(
    "account", ["", "my org", "myorg;drop", "myorg..acct", "acct/../x"], ids=repr
)
def test_malformed_account_names_the_setting(account):
    with pytest.raises(SnowflakeConfigurationError, match="account") as raised:
        AccountIdentifier.parse(account)

    assert "orgname-account_name" in str(raised.value)


@pytest.mark.parametrize(
    ("base_url", "resolved"),
    [
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("http://localhost:9000", "http://localhost:9000"),
        (
            "https://proxy.example.test/snowflake",
            "https://proxy.example.test/snowflake",
        ),
    ],
)
def test_base_url_override(base_url, resolved):
    assert resolve_base_url("myorg-myacct", base_url) == resolved


def test_empty_base_url_means_the_account_host():
    assert resolve_base_url("myorg-myacct", "") == (
        "https://myorg-myacct.snowflakecomputing.com"
    )


@pytest.mark.parametrize(
    "base_url",
    ["http://myorg-myacct.snowflakecomputing.com", "ftp://127.0.0.1", "https://"],
)
def test_plain_http_is_refused_away_from_loopback(base_url):
    with pytest.raises(SnowflakeConfigurationError, match="base_url") as raised:
        resolve_base_url("myorg-myacct", base_url)

    assert "127.0.0.1 or localhost" in str(raised.value)


def test_token_is_cached_then_renewed_before_expiry(key_pair):
    clock = FrozenClock()
    auth = KeyPairAuth("myorg-myacct", "etl_user", key_pair.private_pem, clock=clock)
    first = auth.token()

    clock.now += 53 * 60
    assert auth.token() == first

    clock.now += 2 * 60
    renewed = auth.token()
    assert renewed != first
    _, claims = decode_jwt(renewed, key_pair.public_pem)
    assert claims["iat"] == int(clock.now)


def test_renew_forces_a_new_token(key_pair):
    clock = FrozenClock()
    auth = KeyPairAuth("myorg-myacct", "etl_user", key_pair.private_pem, clock=clock)
    first = auth.token()
    clock.now += 1

    auth.renew()

    assert auth.token() != first


def test_headers_carry_bearer_token_and_token_type(key_pair):
    auth = KeyPairAuth("myorg-myacct", "etl_user", key_pair.private_pem)

    headers = auth.headers()

    assert headers["Authorization"] == f"Bearer {auth.token()}"
    assert headers["X-Snowflake-Authorization-Token-Type"] == "KEYPAIR_JWT"


@pytest.mark.parametrize(
    "lifetime", [timedelta(0), timedelta(hours=1), timedelta(hours=2)], ids=str
)
def test_lifetime_must_stay_under_one_hour(key_pair, lifetime):
    with pytest.raises(SnowflakeConfigurationError, match="lifetime"):
        KeyPairAuth("a-b", "u", key_pair.private_pem, lifetime=lifetime)


def test_short_lifetime_sets_exp(key_pair):
    clock = FrozenClock()
    auth = KeyPairAuth(
        "a-b", "u", key_pair.private_pem, lifetime=timedelta(minutes=10), clock=clock
    )

    _, claims = decode_jwt(auth.token(), key_pair.public_pem)

    assert claims["exp"] - claims["iat"] == 600


def test_repr_shows_identity_but_no_key_or_token(key_pair):
    auth = KeyPairAuth("myorg-myacct", "etl_user", key_pair.private_pem)
    token = auth.token()

    text = repr(auth) + str(vars(auth).keys())

    assert "ETL_USER" in text and auth.fingerprint in text
    assert token not in text
    assert "PRIVATE KEY" not in text


def _key_body(pem: str) -> str:
    return "".join(pem.strip().splitlines()[1:-1])


@pytest.mark.parametrize(
    ("which", "passphrase", "expected"),
    [
        ("encrypted", None, "private_key_passphrase is not set"),
        ("encrypted", "wrong-passphrase", "private_key_passphrase does not decrypt"),
        ("plain", "test-passphrase", "the private key is not encrypted"),
        ("public", None, "private_key could not be read"),
        ("garbage", None, "private_key is neither PEM text nor base64"),
        ("truncated", None, "private_key could not be read"),
    ],
)
def test_unusable_key_names_the_setting_without_quoting_secrets(
    key_pair, which, passphrase, expected
):
    private_key = {
        "encrypted": key_pair.encrypted_private_pem,
        "plain": key_pair.private_pem,
        "public": key_pair.public_pem,
        "garbage": "not a key at all",
        "truncated": key_pair.private_pem[:200] + "\n-----END PRIVATE KEY-----\n",
    }[which]

    with pytest.raises(SnowflakeConfigurationError) as raised:
        KeyPairAuth("myorg-myacct", "etl_user", private_key, passphrase)

    message = str(raised.value)
    assert expected in message
    assert _key_body(key_pair.private_pem)[:40] not in message
    assert _key_body(key_pair.encrypted_private_pem)[:40] not in message
    if passphrase:
        assert passphrase not in message


def test_non_rsa_key_is_refused():
    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )

    with pytest.raises(SnowflakeConfigurationError, match="not an RSA key"):
        KeyPairAuth("myorg-myacct", "etl_user", ec_pem)


def test_empty_user_is_refused(key_pair):
    with pytest.raises(SnowflakeConfigurationError, match="user is empty"):
        KeyPairAuth("myorg-myacct", " ", key_pair.private_pem)


@pytest.mark.parametrize(
    "passphrase", [None, "setup-passphrase"], ids=["plain", "encrypted"]
)
def test_generated_key_pair_signs_tokens_its_public_key_verifies(passphrase):
    pair = generate_key_pair(passphrase)

    auth = KeyPairAuth("myorg-myacct", "etl_user", pair.private_pem, passphrase)

    decode_jwt(auth.token(), pair.public_pem)
    assert pair.fingerprint == expected_fingerprint(pair.public_pem) == auth.fingerprint
    assert ("ENCRYPTED" in pair.private_pem) == bool(passphrase)
    assert _key_body(pair.private_pem)[:40] not in repr(pair)


@pytest.mark.parametrize(
    "make",
    [
        lambda url: OAuthClientCredentialsAuth(url, "tajo-client", "client-secret"),
        lambda url: resolve_base_url("myorg-myacct", url),
    ],
    ids=["oauth-token-url", "base-url"],
)
def test_a_url_carrying_a_password_is_refused_without_quoting_it(make):
    with pytest.raises(SnowflakeConfigurationError) as raised:
        make("https://svc:hunter2-pw@idp.example.com/oauth2/token")

    assert "idp.example.com" in str(raised.value)
    assert "user:password@" in str(raised.value)
    assert "hunter2-pw" not in str(raised.value)
