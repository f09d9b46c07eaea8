"""Finding, reading and parsing the file: each failure names the file and the fix."""

import logging
from pathlib import Path

import pytest

from tajo_assets.config import ConfigError, load_config, resolve_config_path
from tajo_assets_tests.config.support import SNOWFLAKE_ONLY, problem_lines


def _error_of(path: Path, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={} if env is None else env)
    return str(caught.value)


def test_missing_file_names_the_path_and_how_to_create_one(tmp_path: Path):
    path = tmp_path / "nowhere" / "tajo.yaml"

    message = _error_of(path)

    assert str(path) in message
    assert "does not exist" in message
    assert "create it" in message
    assert "connectors: {snowflake: {account: <your account>}}" in message
    assert "TAJO_CONFIG" in message


def test_directory_instead_of_a_file_is_refused(tmp_path: Path):
    message = _error_of(tmp_path)

    assert f"{tmp_path}: the configuration file is a directory" in message


def test_path_defaults_to_tajo_config_variable(tmp_path: Path):
    path = tmp_path / "elsewhere.yaml"
    path.write_text(SNOWFLAKE_ONLY.replace("myorg-myaccount", "from-variable"))

    config = load_config(env={"TAJO_CONFIG": str(path)})

    assert config.snowflake.account == "from-variable"


def test_path_defaults_to_tajo_yaml_in_working_directory(tmp_path, monkeypatch):
    (tmp_path / "tajo.yaml").write_text(SNOWFLAKE_ONLY)
    monkeypatch.chdir(tmp_path)

    assert resolve_config_path(env={}) == Path("tajo.yaml")
    assert load_config(env={}).snowflake.account == "myorg-myaccount"


def test_missing_default_file_is_reported_with_its_full_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    message = _error_of(None)

    assert f"looked for {tmp_path / 'tajo.yaml'}" in message


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("\n   \n", id="only-whitespace"),
        pytest.param("# connectors:\n#   snowflake:\n", id="only-comments"),
    ],
)
def test_empty_file_says_what_to_write(write_config, text: str):
    path = write_config(text)

    message = _error_of(path)

    assert f"{path}: the file is empty" in message
    assert "connectors:" in message


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        pytest.param(
            "connectors:\n  snowflake:\n    account: x\n   warehouse: W\n",
            4,
            4,
            id="bad-indentation",
        ),
        pytest.param(
            'connectors:\n  snowflake:\n    account: "x\n', 4, 1, id="unclosed-quote"
        ),
        pytest.param(
            "connectors:\n  snowflake:\n\taccount: x\n", 3, 1, id="tab-indentation"
        ),
        pytest.param(
            "connectors:\n  snowflake: {account: x\n", 3, 1, id="unclosed-brace"
        ),
    ],
)
def test_malformed_yaml_names_file_line_and_column(
    write_config, text: str, line: int, column: int
):
    path = write_config(text)

    message = _error_of(path)

    assert f"{path}, line {line}, column {column}: YAML syntax error" in message
    assert "indentation" in message


def test_two_yaml_documents_in_one_file_are_refused(write_config):
    path = write_config(SNOWFLAKE_ONLY + "---\n" + SNOWFLAKE_ONLY)

    message = _error_of(path)

    assert "YAML syntax error" in message
    assert "single document" in message


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        pytest.param("- connectors\n- snowflake\n", "list", id="list"),
        pytest.param("connectors\n", "single value", id="scalar"),
    ],
)
def test_top_level_must_be_a_mapping(write_config, text: str, kind: str):
    message = _error_of(write_config(text))

    assert "line 1: the file must be a mapping of settings" in message
    assert f"holds a {kind}" in message


def test_key_written_twice_names_both_lines(write_config):
    path = write_config(
        """\
        connectors:
          snowflake:
            account: first
            schedule: "0 * * * *"
            schedule: "0 0 * * *"
        """
    )

    message = _error_of(path)

    assert (
        f"{path}, line 5: connectors.snowflake.schedule: written twice "
        "(first on line 4)"
    ) in message


def test_file_that_is_not_utf8_is_refused(tmp_path: Path):
    path = tmp_path / "tajo.yaml"
    path.write_bytes(
        "connectors:\n  snowflake:\n    account: caf\xe9\n".encode("latin-1")
    )

    message = _error_of(path)

    assert "not UTF-8 text" in message
    assert "save it as UTF-8" in message


def test_every_problem_is_listed_once_in_file_order(write_config):
    path = write_config(
        """\
        connectors:
          snowflake:
            account: myorg-myaccount
            schedule: "every day"
            timezone: Mars/Olympus
            statement_timeout_s: 0
        field_mapping:
          email: email
          city: city
        """
    )

    message = _error_of(path)

    lines = problem_lines(message)
    assert message.splitlines()[0] == "The tajo configuration has 4 problems:"
    assert [line.split(":")[1].strip() for line in lines] == [
        "connectors.snowflake.schedule",
        "connectors.snowflake.timezone",
        "connectors.snowflake.statement_timeout_s",
        "field_mapping.city",
    ]
    assert [line.split(":")[0] for line in lines] == [
        f"{path}, line {n}" for n in (4, 5, 6, 9)
    ]


def test_problems_carry_their_key_path_and_line(write_config):
    path = write_config(SNOWFLAKE_ONLY + "    warehouse: [TAJO_WH]\n")

    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})

    [problem] = caught.value.problems
    assert problem.location == ("connectors", "snowflake", "warehouse")
    assert problem.key_path == "connectors.snowflake.warehouse"
    assert problem.line == 4
    assert caught.value.source == path


def test_loading_logs_one_info_line_without_values(write_config, caplog):
    path = write_config(
        """\
        connectors:
          snowflake:
            account: ${ACCOUNT}
            queries:
              audience: SELECT email FROM audience
        """
    )

    with caplog.at_level(logging.INFO, logger="tajo_assets.config"):
        load_config(path, env={"ACCOUNT": "planted-account-value"})

    [record] = caplog.records
    assert record.levelno == logging.INFO
    assert record.getMessage() == f"Loaded configuration {path}: 1 queries, 0 syncs"
