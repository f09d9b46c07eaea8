"""Secrets: referenced by variable name, checked at load, never shown."""

import typing

import pytest
from pydantic import BaseModel

from tajo_assets.config import (
    ConfigError,
    SecretRef,
    TajoConfig,
    check_environment,
    load_config,
)
from tajo_assets.config.model import SECRET_PATHS
from tajo_assets_tests.config.support import SNOWFLAKE_ONLY, line_about

PLANTED = "planted-secret-value-5f1c"

AUTH_WITH_KEY = """\
connectors:
  snowflake:
    account: myorg-myaccount
    auth:
      method: key_pair
      private_key: ${TAJO_TEST_KEY}
"""


@pytest.mark.parametrize(
    ("text", "key_path", "fix"),
    [
        pytest.param(
            SNOWFLAKE_ONLY + f"    auth:\n      private_key: {PLANTED}\n",
            "connectors.snowflake.auth.private_key",
            "write private_key: ${SNOWFLAKE_PRIVATE_KEY} and export the PEM "
            "private key in that variable",
            id="literal-private-key",
        ),
        pytest.param(
            SNOWFLAKE_ONLY + f"    auth:\n      private_key_passphrase: {PLANTED}\n",
            "connectors.snowflake.auth.private_key_passphrase",
            "write private_key_passphrase: ${SNOWFLAKE_PRIVATE_KEY_PASSPHRASE}",
            id="literal-passphrase",
        ),
        pytest.param(
            SNOWFLAKE_ONLY + f"  brevo:\n    api_key: {PLANTED}\n",
            "connectors.brevo.api_key",
            "write api_key: ${BREVO_API_KEY} and export the Brevo API key",
            id="literal-brevo-api-key",
        ),
        pytest.param(
            SNOWFLAKE_ONLY + f"  brevo:\n    api_key: ${{KEY:-{PLANTED}}}\n",
            "connectors.brevo.api_key",
            "write api_key: ${BREVO_API_KEY}",
            id="reference-with-literal-default",
        ),
        pytest.param(
            SNOWFLAKE_ONLY + f"  brevo:\n    api_key: prefix-${{KEY}}-{PLANTED}\n",
            "connectors.brevo.api_key",
            "write api_key: ${BREVO_API_KEY}",
            id="reference-inside-text",
        ),
    ],
)
def test_literal_secret_is_refused_without_showing_it(
    load_error, text: str, key_path: str, fix: str
):
    message = load_error(text, env={"KEY": "x"})

    line = line_about(message, key_path)
    assert "a secret is never written in the file" in line
    assert fix in line
    assert PLANTED not in message


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(AUTH_WITH_KEY + "    warehouse: [1]\n", id="other-error"),
        pytest.param(
            SNOWFLAKE_ONLY + "    auth: ${TAJO_TEST_KEY}\n", id="auth-as-reference"
        ),
        pytest.param(SNOWFLAKE_ONLY + f"    auth: {PLANTED}\n", id="auth-as-text"),
        pytest.param(SNOWFLAKE_ONLY + f"  brevo: {PLANTED}\n", id="brevo-as-text"),
        pytest.param(
            SNOWFLAKE_ONLY + "    private_key: ${TAJO_TEST_KEY}\n",
            id="misplaced-secret-key",
        ),
        pytest.param(
            SNOWFLAKE_ONLY + "    auth:\n      password: ${TAJO_TEST_KEY}\n",
            id="unknown-key-in-auth",
        ),
        pytest.param(
            SNOWFLAKE_ONLY + "  brevo:\n    api_key: [${TAJO_TEST_KEY}]\n",
            id="api-key-as-list",
        ),
        pytest.param(
            SNOWFLAKE_ONLY + f"    auth:\n      private_key: {{pem: {PLANTED}}}\n",
            id="private-key-as-mapping",
        ),
    ],
)
def test_secret_value_in_environment_appears_in_no_message(load_error, text: str):
    message = load_error(text, env={"TAJO_TEST_KEY": PLANTED, "KEY": PLANTED})

    assert PLANTED not in message


def test_wrong_type_at_a_secret_path_hides_the_received_value(load_error):
    message = load_error(SNOWFLAKE_ONLY + f"    auth: {PLANTED}\n")

    line = line_about(message, "connectors.snowflake.auth")
    assert "got a value that is not shown (it may hold a secret)" in line
    assert "expected a mapping" in line


def test_model_keeps_the_variable_name_never_the_value(load_text, key_pair):
    config = load_text(AUTH_WITH_KEY, env={"TAJO_TEST_KEY": key_pair.private_pem})

    assert config.snowflake.auth.private_key == SecretRef(env_var="TAJO_TEST_KEY")
    assert key_pair.private_pem not in repr(config)
    assert key_pair.private_pem not in config.model_dump_json()


def test_written_secret_variable_must_be_set_at_load(load_error):
    message = load_error(AUTH_WITH_KEY, env={"TAJO_TEST_KEY": ""})

    line = line_about(message, "connectors.snowflake.auth.private_key")
    assert "line 6" in line
    assert "environment variable TAJO_TEST_KEY is not set; export it" in line


def test_written_brevo_api_key_variable_must_be_set_at_load(load_error):
    message = load_error(SNOWFLAKE_ONLY + "  brevo:\n    api_key: ${MY_BREVO_KEY}\n")

    line = line_about(message, "connectors.brevo.api_key")
    assert "environment variable MY_BREVO_KEY is not set" in line


def test_disabled_snowflake_does_not_need_its_key(load_text):
    config = load_text(
        AUTH_WITH_KEY.replace("account: myorg-myaccount", "enabled: false")
    )

    assert config.snowflake.enabled is False
    assert config.snowflake.account is None


def test_implicit_defaults_are_checked_by_check_environment(load_text):
    config = load_text(SNOWFLAKE_ONLY)

    with pytest.raises(ConfigError) as caught:
        check_environment(config, env={})

    message = str(caught.value)
    assert [p.key_path for p in caught.value.problems] == [
        "connectors.snowflake.auth.private_key",
        "connectors.snowflake.user",
        "connectors.brevo.api_key",
    ]
    for variable in ("SNOWFLAKE_PRIVATE_KEY", "SNOWFLAKE_USER", "BREVO_API_KEY"):
        assert f"environment variable {variable} is not set" in message


USER_WRITTEN = SNOWFLAKE_ONLY + "    user: TAJO_INTEGRATION\n"


def test_check_environment_accepts_a_complete_environment(load_text, key_pair):
    config = load_text(USER_WRITTEN)
    env = {"SNOWFLAKE_PRIVATE_KEY": key_pair.private_pem, "BREVO_API_KEY": PLANTED}

    assert check_environment(config, env=env) is None


@pytest.mark.parametrize("unset", ["SNOWFLAKE_PRIVATE_KEY", "BREVO_API_KEY"])
def test_check_environment_names_only_the_unset_variable(
    load_text, key_pair, unset: str
):
    config = load_text(USER_WRITTEN)
    env = {"SNOWFLAKE_PRIVATE_KEY": key_pair.private_pem, "BREVO_API_KEY": PLANTED}
    del env[unset]

    with pytest.raises(ConfigError) as caught:
        check_environment(config, env=env)

    [problem] = caught.value.problems
    assert problem.message.startswith(f"environment variable {unset} is not set")
    assert PLANTED not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        pytest.param(SNOWFLAKE_ONLY, {}, None, id="default-unset"),
        pytest.param(
            SNOWFLAKE_ONLY,
            {"SNOWFLAKE_PRIVATE_KEY_PASSPHRASE": "p"},
            SecretRef(env_var="SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"),
            id="default-set",
        ),
        pytest.param(
            SNOWFLAKE_ONLY + "    auth:\n      private_key_passphrase: ${PASS}\n",
            {"SNOWFLAKE_PRIVATE_KEY": "k"},
            None,
            id="written-unset",
        ),
        pytest.param(
            SNOWFLAKE_ONLY + "    auth:\n      private_key_passphrase: ${PASS}\n",
            {"SNOWFLAKE_PRIVATE_KEY": "k", "PASS": "p"},
            SecretRef(env_var="PASS"),
            id="written-set",
        ),
        pytest.param(
            SNOWFLAKE_ONLY + "    auth:\n      private_key_passphrase: null\n",
            {"SNOWFLAKE_PRIVATE_KEY": "k", "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE": "p"},
            None,
            id="written-null",
        ),
    ],
)
def test_optional_passphrase_is_kept_only_when_its_variable_is_set(
    load_text, text: str, env: dict[str, str], expected: SecretRef | None
):
    config = load_text(text, env=env)

    assert config.snowflake.auth.private_key_passphrase == expected


def test_secret_ref_reads_its_variable_and_names_it_when_unset():
    ref = SecretRef(env_var="TAJO_TEST_KEY")

    assert ref.read({"TAJO_TEST_KEY": PLANTED}) == PLANTED
    assert ref.is_set({"TAJO_TEST_KEY": PLANTED})
    assert not ref.is_set({})
    assert str(ref) == "${TAJO_TEST_KEY}"
    with pytest.raises(
        ConfigError, match="environment variable TAJO_TEST_KEY is not set"
    ):
        ref.read({})


def test_secret_paths_are_exactly_the_secret_ref_settings():
    assert set(_secret_ref_paths(TajoConfig, ())) == set(SECRET_PATHS)


def _secret_ref_paths(model: type[BaseModel], prefix: tuple[str, ...]):
    for name, field in model.model_fields.items():
        key = (*prefix, field.alias or name)
        types = set(_types_in(field.annotation))
        if SecretRef in types:
            yield key
        for inner in types:
            if issubclass(inner, BaseModel) and inner is not SecretRef:
                yield from _secret_ref_paths(inner, key)


def _types_in(annotation):
    """Classes named by an annotation, through Annotated and unions (not dicts)."""
    if isinstance(annotation, type):
        yield annotation
    elif typing.get_origin(annotation) is not dict:
        for argument in typing.get_args(annotation):
            yield from _types_in(argument)


def test_load_config_reads_os_environ_by_default(write_config, monkeypatch):
    monkeypatch.setenv("TAJO_TEST_ACCOUNT", "from-os-environ")
    path = write_config(
        SNOWFLAKE_ONLY.replace("myorg-myaccount", "${TAJO_TEST_ACCOUNT}")
    )

    assert load_config(path).snowflake.account == "from-os-environ"
