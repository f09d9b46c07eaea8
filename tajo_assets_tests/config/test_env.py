"""`${VAR}` references: replaced from the injected environment, failures named."""

import pytest

from tajo_assets.config.env import interpolate, substitute
from tajo_assets_tests.config.support import line_about


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        pytest.param("${WH}", {"WH": "TAJO_WH"}, "TAJO_WH", id="whole-value"),
        pytest.param("db_${ENV}_x", {"ENV": "prod"}, "db_prod_x", id="inside-text"),
        pytest.param("${WH:-DEFAULT_WH}", {}, "DEFAULT_WH", id="default-when-unset"),
        pytest.param(
            "${WH:-DEFAULT_WH}", {"WH": ""}, "DEFAULT_WH", id="default-when-empty"
        ),
        pytest.param("${WH:-DEFAULT_WH}", {"WH": "SET"}, "SET", id="set-beats-default"),
        pytest.param("${WH:-}", {}, "", id="empty-default"),
        pytest.param("${WH}", {"WH": ""}, "", id="set-but-empty"),
        pytest.param("cost: $$5", {}, "cost: $$5", id="double-dollar-kept"),
        pytest.param("$${WH}", {"WH": "x"}, "${WH}", id="escaped-reference"),
        pytest.param(
            "SELECT $1 FROM @stage", {}, "SELECT $1 FROM @stage", id="lone-dollar"
        ),
        pytest.param("$$it's$$", {}, "$$it's$$", id="snowflake-dollar-quotes"),
    ],
)
def test_references_are_replaced(text: str, env: dict[str, str], expected: str):
    assert substitute(text, env) == (expected, [])


@pytest.mark.parametrize(
    ("text", "problem", "fix"),
    [
        pytest.param(
            "${MISSING}",
            "environment variable MISSING is not set",
            "or write ${MISSING:-default}",
            id="unset",
        ),
        pytest.param(
            "${1BAD}",
            "'${1BAD}' is not a variable reference",
            "write ${NAME} or ${NAME:-default}",
            id="bad-name",
        ),
        pytest.param(
            "${}",
            "'${}' is not a variable reference",
            "write ${NAME} or ${NAME:-default}",
            id="empty-name",
        ),
        pytest.param(
            "${OPEN",
            "has '${' without a closing '}'",
            "or write '$${' for a literal '${'",
            id="unclosed",
        ),
    ],
)
def test_failed_references_say_what_to_write(text: str, problem: str, fix: str):
    _, failures = substitute(text, {})

    [failure] = failures
    assert problem in failure
    assert fix in failure


def test_interpolation_keeps_secret_paths_and_keys_as_written():
    tree = {"a": {"secret": "${KEY}", "${KEY}": "${KEY}"}, "items": ["${KEY}"]}

    result = interpolate(tree, {"KEY": "value"}, keep_as_written=[("a", "secret")])

    assert result.data == {
        "a": {"secret": "${KEY}", "${KEY}": "value"},
        "items": ["value"],
    }
    assert result.origins == {("a", "${KEY}"): "${KEY}", ("items", 0): "${KEY}"}
    assert result.problems == []


def test_missing_variable_fails_at_load_naming_key_path_and_variable(load_error):
    message = load_error(
        """\
        connectors:
          snowflake:
            account: myorg-myaccount
            warehouse: ${TAJO_WAREHOUSE}
        """
    )

    line = line_about(message, "connectors.snowflake.warehouse")
    assert "line 4" in line
    assert "environment variable TAJO_WAREHOUSE is not set" in line
    assert "${TAJO_WAREHOUSE:-default}" in line
    assert "got" not in line  # the unresolved text is not also a type error


def test_interpolated_values_are_converted_to_their_setting_type(load_text):
    config = load_text(
        """\
        connectors:
          snowflake:
            account: ${ACCOUNT}
            statement_timeout_s: ${TIMEOUT:-600}
            log_queries: ${LOG_QUERIES}
            queries:
              audience: SELECT email FROM ${SCHEMA}.audience
        syncs:
          audience:
            query: audience
            destination:
              list_id: ${LIST_ID}
        """,
        env={"ACCOUNT": "acme", "LOG_QUERIES": "true", "SCHEMA": "S", "LIST_ID": "7"},
    )

    assert config.snowflake.account == "acme"
    assert config.snowflake.statement_timeout_s == 600
    assert config.snowflake.log_queries is True
    assert config.snowflake.queries["audience"] == "SELECT email FROM S.audience"
    assert config.syncs()[0].list_id == 7


def test_invalid_interpolated_value_shows_value_and_reference(load_error):
    message = load_error(
        SNOWFLAKE_WITH_SCHEDULE_REFERENCE, env={"SCHEDULE": "every morning"}
    )

    line = line_about(message, "connectors.snowflake.schedule")
    assert "got 'every morning' (from '${SCHEDULE}')" in line
    assert "cron expression of 5 fields" in line


SNOWFLAKE_WITH_SCHEDULE_REFERENCE = """\
connectors:
  snowflake:
    account: myorg-myaccount
    schedule: ${SCHEDULE}
"""
