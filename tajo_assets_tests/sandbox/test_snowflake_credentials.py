"""The sandbox's other credentials, over real HTTP on 127.0.0.1: the OAuth token
endpoint, programmatic access tokens, and keys registered with user DDL."""

import base64

import httpx
import pytest

from tajo_assets.sandbox.snowflake import OAuthClient
from tajo_assets.snowflake.keys import generate_key_pair
from tajo_assets_tests.sandbox.snowflake_fixtures import (
    STATEMENTS,
    USER,
    SqlApi,
    headers_for,
    mint_jwt,
)

TOKEN_PATH = "/oauth/token-request"


def token_request(api: SqlApi, form: dict, **kwargs) -> httpx.Response:
    return httpx.post(f"{api.server.url}{TOKEN_PATH}", data=form, **kwargs)


def call_with(api: SqlApi, token: str, token_type: str) -> httpx.Response:
    headers = {
        **headers_for(token),
        "X-Snowflake-Authorization-Token-Type": token_type,
    }
    return httpx.post(
        f"{api.server.url}{STATEMENTS}",
        json={"statement": "SELECT CURRENT_USER() AS U"},
        headers=headers,
    )


@pytest.fixture
def oauth_client(snowflake_api) -> tuple[str, str]:
    snowflake_api.sandbox.register_oauth_client(
        "sandbox-app", OAuthClient("app-secret", USER, ("TAJO_ROLE", "PUBLIC"))
    )
    return "sandbox-app", "app-secret"


def client_credentials(client_id: str, secret: str, scope: str | None) -> dict:
    form = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": secret,
    }
    return form if scope is None else {**form, "scope": scope}


# -- OAuth -------------------------------------------------------------------------


def test_client_credentials_get_a_token_the_sql_api_accepts(
    snowflake_api, oauth_client
):
    answer = token_request(
        snowflake_api, client_credentials(*oauth_client, "session:role:TAJO_ROLE")
    )

    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 600
    assert body["scope"] == "session:role:TAJO_ROLE"
    accepted = call_with(snowflake_api, body["access_token"], "OAUTH")
    assert accepted.status_code == 200
    record = snowflake_api.sandbox.statements[accepted.json()["statementHandle"]]
    assert record.user == USER


def test_client_credentials_may_come_as_http_basic(snowflake_api, oauth_client):
    client_id, secret = oauth_client
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()

    answer = token_request(
        snowflake_api,
        {"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )

    assert answer.status_code == 200
    assert answer.json()["scope"] == "session:role:TAJO_ROLE"


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        pytest.param(
            client_credentials("sandbox-app", "wrong-secret", None),
            401,
            "invalid_client",
            id="wrong-secret",
        ),
        pytest.param(
            client_credentials("nobody", "app-secret", None),
            401,
            "invalid_client",
            id="unknown-client",
        ),
        pytest.param(
            client_credentials("sandbox-app", "app-secret", "session:role:SYSADMIN"),
            400,
            "invalid_scope",
            id="role-not-allowed",
        ),
        pytest.param(
            {"grant_type": "password", "client_id": "sandbox-app"},
            400,
            "unsupported_grant_type",
            id="other-grant",
        ),
    ],
)
def test_a_bad_token_request_is_refused_without_echoing_the_secret(
    snowflake_api, oauth_client, form, status, error
):
    answer = token_request(snowflake_api, form)

    assert answer.status_code == status
    assert answer.json()["error"] == error
    for secret in ("app-secret", "wrong-secret"):
        assert secret not in answer.text


# -- programmatic access tokens --------------------------------------------------------


def test_a_registered_programmatic_access_token_signs_in_as_its_user(snowflake_api):
    snowflake_api.sandbox.register_pat(USER, "pat-one")
    snowflake_api.sandbox.register_pat(USER, "pat-two")

    for token in ("pat-one", "pat-two"):
        answer = call_with(snowflake_api, token, "PROGRAMMATIC_ACCESS_TOKEN")
        assert answer.status_code == 200
        handle = answer.json()["statementHandle"]
        assert snowflake_api.sandbox.statements[handle].user == USER


def test_a_pat_is_not_an_oauth_token(snowflake_api):
    snowflake_api.sandbox.register_pat(USER, "pat-three")

    answer = call_with(snowflake_api, "pat-three", "OAUTH")

    assert answer.status_code == 401
    assert answer.json()["code"] == "390303"


# -- user DDL --------------------------------------------------------------------------


def submit_as(api: SqlApi, token: str, statement: str) -> httpx.Response:
    return httpx.post(
        f"{api.server.url}{STATEMENTS}",
        json={"statement": statement},
        headers=headers_for(token),
    )


def key_body(public_pem: str) -> str:
    """The base64 DER body of a PEM public key, as ALTER USER takes it."""
    return "".join(public_pem.strip().splitlines()[1:-1])


def test_alter_user_set_rsa_public_key_lets_the_new_key_sign_in(snowflake_api):
    fresh = generate_key_pair()
    token = mint_jwt(fresh.private_pem, public_pem=fresh.public_pem, user="TAJO_NEW")
    refused = submit_as(snowflake_api, token, "SELECT 1")

    altered = snowflake_api.submit(
        f"ALTER USER tajo_new SET RSA_PUBLIC_KEY = '{key_body(fresh.public_pem)}'"
    )

    assert refused.status_code == 401
    assert altered.status_code == 200, altered.text
    assert altered.json()["data"] == [["Statement executed successfully."]]
    assert submit_as(snowflake_api, token, "SELECT 1").status_code == 200


def test_a_second_key_allows_rotation_and_unset_refuses_it(snowflake_api):
    old, new = generate_key_pair(), generate_key_pair()
    user = "TAJO_ROTATING"
    tokens = [
        mint_jwt(pair.private_pem, public_pem=pair.public_pem, user=user)
        for pair in (old, new)
    ]

    snowflake_api.submit(
        f"ALTER USER {user} SET RSA_PUBLIC_KEY = '{key_body(old.public_pem)}' "
        f"RSA_PUBLIC_KEY_2 = '{key_body(new.public_pem)}'"
    )
    both = [submit_as(snowflake_api, t, "SELECT 1").status_code for t in tokens]
    unset = snowflake_api.submit(f"ALTER USER {user} UNSET RSA_PUBLIC_KEY")
    after = [submit_as(snowflake_api, t, "SELECT 1") for t in tokens]

    assert both == [200, 200]
    assert unset.status_code == 200
    assert [a.status_code for a in after] == [401, 200]
    assert after[0].json()["code"] == "390144"


def test_create_user_with_a_pem_key_registers_it(snowflake_api):
    fresh = generate_key_pair()
    pem = fresh.public_pem.strip()

    created = snowflake_api.submit(
        "CREATE USER IF NOT EXISTS TAJO_SERVICE TYPE = SERVICE "
        f"DEFAULT_ROLE = TAJO_ROLE RSA_PUBLIC_KEY = '{pem}'"
    )
    token = mint_jwt(
        fresh.private_pem, public_pem=fresh.public_pem, user="TAJO_SERVICE"
    )

    assert created.status_code == 200, created.text
    assert created.json()["data"] == [["User TAJO_SERVICE successfully created."]]
    assert submit_as(snowflake_api, token, "SELECT 1").status_code == 200


def test_an_unreadable_public_key_fails_naming_the_property(snowflake_api):
    answer = snowflake_api.submit(f"ALTER USER {USER} SET RSA_PUBLIC_KEY = 'not-a-key'")

    assert answer.status_code == 422
    assert "Invalid value for property RSA_PUBLIC_KEY" in answer.json()["message"]


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE ROLE IF NOT EXISTS TAJO_ROLE",
        "CREATE WAREHOUSE IF NOT EXISTS TAJO_WH WAREHOUSE_SIZE = XSMALL",
        "GRANT USAGE ON WAREHOUSE TAJO_WH TO ROLE TAJO_ROLE",
        "GRANT ROLE TAJO_ROLE TO USER TAJO_TEST",
        "CREATE NETWORK POLICY TAJO_POLICY ALLOWED_IP_LIST = ('192.0.2.1')",
        "ALTER USER TAJO_TEST SET NETWORK_POLICY = TAJO_POLICY",
        "ALTER USER TAJO_TEST SET DEFAULT_ROLE = TAJO_ROLE",
    ],
)
def test_other_set_up_ddl_is_accepted_without_effect(snowflake_api, statement):
    answer = snowflake_api.submit(statement)

    assert answer.status_code == 200, answer.text
    record = snowflake_api.sandbox.statements[answer.json()["statementHandle"]]
    assert record.sql == statement
    assert record.executions == 1


def test_use_role_is_accepted_inside_a_multi_statement_request(snowflake_api):
    answer = snowflake_api.submit(
        "USE ROLE TAJO_ROLE; USE WAREHOUSE TAJO_WH; SELECT 1",
        parameters={"MULTI_STATEMENT_COUNT": 3},
    )

    assert answer.status_code == 200, answer.text
    assert len(answer.json()["statementHandles"]) == 3
