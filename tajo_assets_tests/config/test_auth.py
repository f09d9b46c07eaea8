"""connectors.snowflake.auth: key pair (default), OAuth client credentials or a PAT."""

import pytest

from tajo_assets.config import (
    AuthMethod,
    ConfigError,
    SecretRef,
    check_environment,
)
from tajo_assets_tests.config.support import SNOWFLAKE_ONLY, line_about

PLANTED = "planted-secret-value-77aa"

OAUTH = SNOWFLAKE_ONLY + (
    "    auth:\n"
    "      method: oauth\n"
    "      client_id: ${OAUTH_CLIENT_ID}\n"
    "      client_secret: ${OAUTH_SECRET}\n"
)
PAT = SNOWFLAKE_ONLY + "    auth:\n      method: pat\n      token: ${MY_PAT}\n"
OAUTH_ENV = {"OAUTH_CLIENT_ID": "tajo-app", "OAUTH_SECRET": PLANTED}


def test_key_pair_stays_the_default(load_text):
    auth = load_text(SNOWFLAKE_ONLY).snowflake.auth

    assert auth.method == AuthMethod.KEY_PAIR
    assert auth.private_key == SecretRef(env_var="SNOWFLAKE_PRIVATE_KEY")
    assert (auth.client_id, auth.client_secret, auth.token) == (None, None, None)


def test_oauth_reads_client_id_and_keeps_the_secret_as_a_reference(load_text):
    config = load_text(
        OAUTH + "      token_url: https://idp.example.com/oauth2/token\n",
        env=OAUTH_ENV,
    )

    auth = config.snowflake.auth
    assert auth.method == AuthMethod.OAUTH
    assert auth.client_id == "tajo-app"
    assert auth.client_secret == SecretRef(env_var="OAUTH_SECRET")
    assert auth.token_url == "https://idp.example.com/oauth2/token"
    assert auth.scope is None
    assert PLANTED not in repr(config)


def test_pat_keeps_the_token_as_a_reference(load_text):
    config = load_text(PAT, env={"MY_PAT": PLANTED})

    assert config.snowflake.auth.method == AuthMethod.PAT
    assert config.snowflake.auth.token == SecretRef(env_var="MY_PAT")
    assert PLANTED not in repr(config)


@pytest.mark.parametrize(
    ("text", "key_path", "expected"),
    [
        pytest.param(
            SNOWFLAKE_ONLY + "    auth:\n      method: oauth\n",
            "connectors.snowflake.auth.client_secret",
            "missing; method oauth needs it, e.g. client_secret: "
            "${SNOWFLAKE_OAUTH_CLIENT_SECRET}",
            id="oauth-without-secret",
        ),
        pytest.param(
            SNOWFLAKE_ONLY + "    auth:\n      method: pat\n",
            "connectors.snowflake.auth.token",
            "missing; method pat needs it, e.g. token: ${SNOWFLAKE_PAT}",
            id="pat-without-token",
        ),
        pytest.param(
            PAT + "      private_key: ${KEY}\n",
            "connectors.snowflake.auth.private_key",
            "private_key is a setting of method key_pair, but method is pat; "
            "remove it, or set method: key_pair",
            id="key-with-pat",
        ),
        pytest.param(
            SNOWFLAKE_ONLY + "    auth:\n      token: ${MY_PAT}\n",
            "connectors.snowflake.auth.token",
            "token is a setting of method pat, but method is key_pair",
            id="token-without-method",
        ),
        pytest.param(
            OAUTH + "      token_url: http://idp.example.com/token\n",
            "connectors.snowflake.auth.token_url",
            "expected an https:// URL",
            id="plain-http-token-url",
        ),
    ],
)
def test_auth_problems_name_the_key_and_the_fix(load_error, text, key_path, expected):
    env = {**OAUTH_ENV, "MY_PAT": PLANTED, "KEY": PLANTED}

    message = load_error(text, env=env)

    assert expected in line_about(message, key_path)
    assert PLANTED not in message


@pytest.mark.parametrize(
    ("key", "fix"),
    [
        ("client_secret", "write client_secret: ${SNOWFLAKE_OAUTH_CLIENT_SECRET}"),
        ("token", "write token: ${SNOWFLAKE_PAT}"),
    ],
)
def test_a_literal_oauth_secret_or_pat_is_refused_and_never_shown(load_error, key, fix):
    method = "oauth\n      client_id: tajo-app" if key == "client_secret" else "pat"
    text = SNOWFLAKE_ONLY + (
        f"    auth:\n      method: {method}\n      {key}: {PLANTED}\n"
    )

    message = load_error(text)

    assert fix in line_about(message, f"connectors.snowflake.auth.{key}")
    assert PLANTED not in message


def test_an_unset_oauth_secret_fails_at_load_naming_its_variable(load_error):
    message = load_error(OAUTH, env={"OAUTH_CLIENT_ID": "tajo-app"})

    line = line_about(message, "connectors.snowflake.auth.client_secret")
    assert "environment variable OAUTH_SECRET is not set" in line


def test_check_environment_asks_for_the_pat_not_the_private_key(load_text):
    config = load_text(PAT + "    user: TAJO\n", env={"MY_PAT": PLANTED})

    with pytest.raises(ConfigError) as caught:
        check_environment(config, env={"BREVO_API_KEY": "x"})

    assert [p.key_path for p in caught.value.problems] == [
        "connectors.snowflake.auth.token"
    ]
    assert check_environment(config, env={"BREVO_API_KEY": "x", "MY_PAT": "y"}) is None
