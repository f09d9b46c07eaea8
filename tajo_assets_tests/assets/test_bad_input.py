"""The bad-input catalogue: every kind of wrong input a user can hand Tajo, each
with a readable id and its exact outcome.

Four families:

- configuration: the demo's tajo.yaml with one mistake, and a missing or empty
  environment variable; loading names the line, the setting and the fix;
- queries and columns: runs against both sandboxes that must stop with a
  message naming the query or column, before anything reaches Brevo;
- row values: one run over a table of awkward rows, then one test per row,
  saying whether the row arrived unchanged or was rejected with which code;
- bindings: a watermark carrying SQL text stays a value.
"""

from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from tajo_assets.brevo import contacts_budget
from tajo_assets.brevo.imports import largest_contact_bytes
from tajo_assets.cli import WindowError
from tajo_assets.config import ConfigError, load_config
from tajo_assets.snowflake import SnowflakeStatementError
from tajo_assets_tests.assets.conftest import (
    People,
    brevo_api,
    create_table,
    email,
    point_at,
    project_in,
    warehouse_client,
)
from tajo_assets_tests.assets.test_sync_scenarios import (
    MAPPING,
    _failure_text,
    sync_counts,
)
from tajo_assets_tests.conftest import kept_log_levels
from tajo_assets_tests.test_cli_sync import tags_for

DEMO_CONFIG = Path(__file__).parents[2] / "tajo.yaml"
CONFIG_ENV = {
    "SNOWFLAKE_ACCOUNT": "myorg-myaccount",
    "SNOWFLAKE_USER": "TAJO_SYNC",
    "SNOWFLAKE_PRIVATE_KEY": "planted-private-key",
    "BREVO_API_KEY": "planted-brevo-key",
}


# Configuration ------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigCase:
    """The demo configuration with `old` replaced by `new` (or replaced whole)."""

    old: str
    new: str
    expected: str
    # The line the message must name: the first line of the new text holding this.
    line_of: str | None = None


CONFIG_CASES = {
    "yaml-tab-indentation": ConfigCase(
        "    enabled: true",
        "\tenabled: true",
        "YAML syntax error: while scanning for the next token; found character "
        "'\\t' that cannot start any token; check the indentation (spaces, not "
        "tabs)",
        line_of="\tenabled: true",
    ),
    "yaml-unclosed-quote": ConfigCase(
        'warehouse: "TAJO_WH"',
        'warehouse: "TAJO_WH',
        "YAML syntax error: while parsing a block mapping",
    ),
    "yaml-list-instead-of-settings": ConfigCase(
        "",
        "- connectors\n- syncs\n",
        "the file must be a mapping of settings starting with connectors:, but "
        "it holds a list",
    ),
    "yaml-key-written-twice": ConfigCase(
        "    debug: false",
        "    debug: false\n    debug: true",
        "connectors.snowflake.debug: written twice (first on line",
        line_of="    debug: true",
    ),
    "unknown-key-with-a-typo": ConfigCase(
        "    debug: false",
        "    debgu: false",
        "connectors.snowflake.debgu: unknown key; did you mean 'debug'?",
        line_of="debgu",
    ),
    "schedule-given-a-number": ConfigCase(
        'schedule: "0 */6 * * *" # every 6 hours',
        "schedule: 6",
        "connectors.snowflake.schedule: got 6; expected a cron expression of 5 fields",
        line_of="schedule: 6",
    ),
    "boolean-given-a-word": ConfigCase(
        "enabled: true",
        "enabled: sometimes",
        "connectors.snowflake.enabled: got 'sometimes'; expected true or false",
        line_of="enabled: sometimes",
    ),
    "whole-number-given-text": ConfigCase(
        "scores_freshness_hours: 48",
        "scores_freshness_hours: two days",
        "models.scores_freshness_hours: got 'two days'; expected a whole number",
        line_of="two days",
    ),
    "timezone-unknown": ConfigCase(
        'timezone: "UTC"',
        'timezone: "Mars/Olympus"',
        "connectors.snowflake.timezone: got 'Mars/Olympus'; expected an IANA time "
        "zone name",
        line_of="Mars/Olympus",
    ),
    "share-given-as-a-percentage": ConfigCase(
        "syncs:",
        "checks:\n  min_valid_email_rate: 95\nsyncs:",
        "checks.min_valid_email_rate: got 95; expected a share from 0 to 1 such as "
        "0.5, not a percentage",
        line_of="min_valid_email_rate: 95",
    ),
    "query-with-an-unbound-placeholder": ConfigCase(
        "WHERE updated_at > :last_sync",
        "WHERE updated_at > :since",
        "connectors.snowflake.queries.customer_segments: uses :since, which no run "
        "binds; use :last_sync, :window_end",
    ),
}


@pytest.mark.parametrize("case", CONFIG_CASES.values(), ids=CONFIG_CASES.keys())
def test_a_configuration_mistake_is_named_with_its_line_and_fix(tmp_path, case):
    demo = DEMO_CONFIG.read_text()
    assert case.old in demo, "the demo configuration changed; update the case"
    text = demo.replace(case.old, case.new, 1) if case.old else case.new
    path = tmp_path / "tajo.yaml"
    path.write_text(text)

    with pytest.raises(ConfigError) as caught:
        load_config(path, env=CONFIG_ENV)

    message = str(caught.value)
    assert message.startswith("The tajo configuration has 1 problem:")
    assert case.expected in message
    if case.line_of is not None:
        line = next(
            number
            for number, content in enumerate(text.splitlines(), start=1)
            if case.line_of in content
        )
        assert f"{path}, line {line}" in message


ENV_CASES = {
    "brevo-key-unset": (
        "BREVO_API_KEY",
        None,
        "connectors.brevo.api_key: environment variable BREVO_API_KEY is not set; "
        "export it",
    ),
    "brevo-key-empty": (
        "BREVO_API_KEY",
        "",
        "connectors.brevo.api_key: environment variable BREVO_API_KEY is not set",
    ),
    "private-key-unset": (
        "SNOWFLAKE_PRIVATE_KEY",
        None,
        "connectors.snowflake.auth.private_key: environment variable "
        "SNOWFLAKE_PRIVATE_KEY is not set",
    ),
    "account-unset": (
        "SNOWFLAKE_ACCOUNT",
        None,
        "connectors.snowflake.account: environment variable SNOWFLAKE_ACCOUNT is "
        "not set; export SNOWFLAKE_ACCOUNT before loading the configuration, or "
        "write ${SNOWFLAKE_ACCOUNT:-default}",
    ),
}


@pytest.mark.parametrize(
    ("variable", "value", "expected"), ENV_CASES.values(), ids=ENV_CASES.keys()
)
def test_a_missing_environment_variable_is_named_with_the_setting(
    variable, value, expected
):
    env = dict(CONFIG_ENV)
    if value is None:
        del env[variable]
    else:
        env[variable] = value

    with pytest.raises(ConfigError) as caught:
        load_config(DEMO_CONFIG, env=env)

    message = str(caught.value)
    assert expected in message
    # Only the variable's name: no other variable's value is echoed.
    assert all(secret not in message for secret in CONFIG_ENV.values())


def test_an_empty_environment_is_named_in_full_at_the_first_attempt():
    with pytest.raises(ConfigError) as caught:
        load_config(DEMO_CONFIG, env={})

    message = str(caught.value)
    assert message.startswith("The tajo configuration has 4 problems:")
    for variable in CONFIG_ENV:
        assert f"environment variable {variable} is not set" in message


# Queries and columns ------------------------------------------------------------


@dataclass(frozen=True)
class QueryCase:
    """A query over the test's PEOPLE table (`{table}`) and what stops the run:
    a failed step's message (`failure`) or a failed check's description."""

    query: str
    failure: str | None = None
    check: str | None = None
    description: str | None = None
    # Table changes between a first, successful run and the run that must stop.
    then: tuple[str, ...] = ()
    mapping: dict[str, str] | None = None


QUERY_CASES = {
    "query-that-fails-to-compile": QueryCase(
        "SELEC email, first_name, score FROM {table}",
        failure="query customer_segments failed in Snowflake: ",
    ),
    "query-reading-a-missing-table": QueryCase(
        "SELECT email, first_name, score FROM MARKETING_DB.NOWHERE.PEOPLE",
        failure='Table with name "NOWHERE.PEOPLE" does not exist',
    ),
    "column-missing-from-the-query": QueryCase(
        "SELECT email, first_name FROM {table}",
        check="mapped_columns_present",
        description="field_mapping names column SCORE, but query customer_segments "
        "returns EMAIL, FIRST_NAME; fix the mapping",
    ),
    "column-renamed-in-the-source": QueryCase(
        "SELECT * FROM {table}",
        then=("ALTER TABLE {table} RENAME COLUMN SCORE TO POINTS",),
        check="mapped_columns_present",
        description="field_mapping names column SCORE, but query customer_segments "
        "returns ID, EMAIL, FIRST_NAME, POINTS, PHONE, IN_AUDIENCE",
    ),
    "key-column-holding-numbers": QueryCase(
        "SELECT id AS email, first_name, score FROM {table}",
        check="valid_email_rate",
        description="0 of 200 rows (0.00%) have a valid email in EMAIL, below "
        "checks.min_valid_email_rate (95.00%)",
    ),
    "key-column-all-null": QueryCase(
        "SELECT CAST(NULL AS VARCHAR) AS email, first_name, score FROM {table}",
        check="keys_unique_and_not_null",
        description="200 rows have an empty or NULL EMAIL (checks.max_null_keys "
        "allows 0); filter them out in the query",
    ),
    "column-whose-type-changed-under-its-attribute": QueryCase(
        "SELECT email, first_name, score FROM {table}",
        then=(
            "ALTER TABLE {table} ALTER COLUMN SCORE SET DATA TYPE VARCHAR",
            "UPDATE {table} SET SCORE = 'high' WHERE ID = 1",
        ),
        failure="Brevo attribute SCORE is float, its column holds text. Brevo "
        "ignores values that do not match an attribute's type, so no contact was sent",
    ),
}


@pytest.mark.parametrize("case", QUERY_CASES.values(), ids=QUERY_CASES.keys())
def test_a_broken_query_or_column_stops_the_run_before_brevo(
    write_project, people, sandbox, instance, case
):
    project = write_project(
        case.mapping or MAPPING, case.query.format(table=people.table) + "\n"
    )
    if case.then:
        assert project.run(instance).success
        for statement in case.then:
            people.execute(statement)
    before = sandbox.brevo.contacts()

    result = project.run(instance)

    assert not result.success
    if case.failure is not None:
        assert case.failure in _failure_text(result)
    if case.check is not None:
        failed = {
            e.check_name: e.description
            for e in result.get_asset_check_evaluations()
            if not e.passed
        }
        assert case.description in failed[case.check]
    assert sandbox.brevo.contacts() == before
    assert not result.asset_materializations_for_node("brevo__customer_segments")


def test_a_number_column_under_a_text_attribute_brevo_has_arrives_as_text(
    write_project, people, sandbox, instance
):
    with brevo_api(sandbox) as api:
        made = api.post("/contacts/attributes/normal/SCORE", json={"type": "text"})
        assert made.status_code == 201, made.text
    project = write_project(MAPPING, people.audience)

    result = project.run(instance)

    assert result.success, _failure_text(result)
    assert sandbox.brevo.contact(email(42))["attributes"]["SCORE"] == "42.5"
    assert [a for a in sandbox.brevo.attributes() if a["name"] == "SCORE"] == [
        {"name": "SCORE", "category": "normal", "type": "text"}
    ]


# Row values ---------------------------------------------------------------------

LONG_UNIT = "Grüße, नमस्ते, مرحبا 🙂 "
LONG_TEXT = LONG_UNIT * 4_000  # 92,000 characters in four scripts
BODY_BUDGET = 200_000  # connectors.brevo.import_body_bytes of the run below
LARGEST_EXACT = 2**53


@dataclass(frozen=True)
class RowCase:
    """One row of the AWKWARD table and its outcome: the Brevo contact it
    becomes (`arrives`: email and attributes), or its rejection's code."""

    email: str | None
    first_name: str = "Ann"
    note: str | None = None  # SQL expression
    big: int | None = None
    ratio: str | None = None
    arrives: tuple[str, dict] | None = None
    code: str | None = None
    reason: str | None = None


ROW_CASES = {
    "email-plain": RowCase(
        "plain@example.com", arrives=("plain@example.com", {"FIRSTNAME": "Ann"})
    ),
    "email-padded-and-mixed-case": RowCase(
        "  Mixed.Case@Example.COM\t", arrives=("mixed.case@example.com", {})
    ),
    "email-invalid": RowCase(
        "not-an-email", code="invalid_key", reason="invalid email address"
    ),
    "email-empty": RowCase("", code="empty_key", reason="the contact key is empty"),
    "email-null": RowCase(None, code="empty_key", reason="the contact key is empty"),
    "email-longer-than-254": RowCase(
        "a" * 243 + "@example.com", code="invalid_key", reason="invalid email address"
    ),
    "email-duplicated-by-case": RowCase(
        "Twin@Example.com",
        code="duplicate_key",
        reason="the key appears 2 times in the query result",
    ),
    "email-duplicated-by-case-twin": RowCase(
        "twin@example.COM",
        code="duplicate_key",
        reason="the key appears 2 times in the query result",
    ),
    "name-devanagari": RowCase(
        "devanagari@example.com",
        first_name="देवनागरी लिपि",
        arrives=("devanagari@example.com", {"FIRSTNAME": "देवनागरी लिपि"}),
    ),
    "name-arabic": RowCase(
        "arabic@example.com",
        first_name="مرحبا بالعالم",
        arrives=("arabic@example.com", {"FIRSTNAME": "مرحبا بالعالم"}),
    ),
    "name-emoji": RowCase(
        "emoji@example.com",
        first_name="Zoë 👩🏽‍💻🙂",
        arrives=("emoji@example.com", {"FIRSTNAME": "Zoë 👩🏽‍💻🙂"}),
    ),
    "text-very-long": RowCase(
        "long@example.com",
        note=f"REPEAT('{LONG_UNIT}', 4000)",
        arrives=("long@example.com", {"NOTE": LONG_TEXT}),
    ),
    "text-larger-than-a-request-body": RowCase(
        "huge@example.com",
        note="REPEAT('x', 250000)",
        code="too_large",
        reason=f"more than the {largest_contact_bytes(contacts_budget(BODY_BUDGET))} "
        "bytes an import "
        "request has room for (connectors.brevo.import_body_bytes)",
    ),
    "number-largest-exact-whole": RowCase(
        "exact@example.com",
        big=LARGEST_EXACT,
        arrives=("exact@example.com", {"BIG_NUMBER": LARGEST_EXACT}),
    ),
    "number-beyond-double-precision": RowCase(
        "beyond@example.com",
        big=LARGEST_EXACT + 1,
        code="invalid_value",
        reason="column BIG: a whole number of 16 digits, beyond the "
        f"{LARGEST_EXACT} that Brevo's number attributes hold exactly; send it as "
        "text",
    ),
    "number-more-decimals-than-a-double": RowCase(
        "ratio@example.com",
        ratio="0.12345678901234567890",
        arrives=("ratio@example.com", {"RATIO": 0.12345678901234568}),
    ),
}
AWKWARD_MAPPING = {
    "email": "email",
    "first_name": "FIRSTNAME",
    "note": "NOTE",
    "big": "BIG_NUMBER",
    "ratio": "RATIO",
}
LENIENT_CHECKS = (
    "checks:\n  max_null_keys: 5\n  max_duplicate_keys: 5\n  min_valid_email_rate: 0\n"
)


@dataclass(frozen=True)
class AwkwardRun:
    """What one sync of the AWKWARD table left behind, read right after it."""

    first: dg.ExecuteInProcessResult
    second: dg.ExecuteInProcessResult
    contacts: dict[str, dict]
    rejections: list[tuple]


def _row_sql(number: int, case: RowCase) -> str:
    def text(value: str | None) -> str:
        return "NULL" if value is None else "'" + value.replace("'", "''") + "'"

    return (
        f"SELECT {number}, {text(case.email)}, {text(case.first_name)}, "
        f"{case.note or 'NULL'}, "
        f"CAST({'NULL' if case.big is None else case.big} AS NUMBER(38, 0)), "
        f"CAST({case.ratio or 'NULL'} AS NUMBER(38, 20))"
    )


@pytest.fixture(scope="module")
def awkward(sandbox, tmp_path_factory) -> AwkwardRun:
    """One sync of a table holding every ROW_CASES row, run twice."""
    with kept_log_levels(), pytest.MonkeyPatch.context() as monkeypatch:
        env = point_at(sandbox, monkeypatch)
        # create_table gives the table a schema of its own; the rows below,
        # typed column by column, replace its placeholder row.
        table = create_table(env, "AWKWARD", ["(0)"], "ID")
        selects = " UNION ALL ".join(
            _row_sql(number, case) for number, case in enumerate(ROW_CASES.values())
        )
        with warehouse_client(env) as client:
            client.execute(
                f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM ({selects}) "  # noqa: S608
                "AS t(ID, EMAIL, FIRST_NAME, NOTE, BIG, RATIO)"
            )
        project = project_in(
            tmp_path_factory.mktemp("awkward"),
            env,
            AWKWARD_MAPPING,
            f"SELECT email, first_name, note, big, ratio FROM {table}\n",  # noqa: S608
            LENIENT_CHECKS,
            brevo=f"import_body_bytes: {BODY_BUDGET}\n",
        )
        with dg.instance_for_test() as instance:
            first = project.run(instance)
            second = project.run(instance)
        contacts = {c["email"]: c for c in sandbox.brevo.contacts()}
        rejections = People(table, env).execute(
            "SELECT KEY, CODE, REASON, RUN_ID "  # noqa: S608
            f"FROM {project.state_schema}.TAJO_REJECTIONS"
        )
    return AwkwardRun(first, second, contacts, rejections)


@pytest.mark.parametrize("case", ROW_CASES.values(), ids=ROW_CASES.keys())
def test_an_awkward_row_arrives_unchanged_or_is_rejected_with_its_code(awkward, case):
    if case.arrives is not None:
        address, attributes = case.arrives
        contact = awkward.contacts[address]
        assert contact["attributes"] | attributes == contact["attributes"]
        assert not [r for r in awkward.rejections if r[0] == address]
        return
    first_run = awkward.first.run_id
    logged = [
        (code, reason)
        for key, code, reason, run_id in awkward.rejections
        if run_id == first_run and _is_key_of(key, case.email)
    ]
    # Empty keys, and keys repeated by case, are one entry per row.
    rows = sum(_is_key_of(other.email, case.email) for other in ROW_CASES.values())
    assert len(logged) == rows, logged
    for code, reason in logged:
        assert code == case.code
        assert case.reason in reason
    # Nothing with this address reached Brevo, in any spelling.
    if case.email:
        assert case.email.strip().lower() not in awkward.contacts


def _is_key_of(key: str | None, raw: str | None) -> bool:
    """Whether a logged key is the raw email's (as read, or normalized)."""
    if not raw:
        return key in (None, "")
    return key is not None and key.strip().lower() == raw.strip().lower()


def test_awkward_rows_cost_one_run_and_the_rerun_sends_nothing(awkward):
    first, second = sync_counts(awkward.first), sync_counts(awkward.second)
    arriving = [case for case in ROW_CASES.values() if case.arrives]
    rejected = len(ROW_CASES) - len(arriving)

    assert awkward.first.success and awkward.second.success
    assert set(awkward.contacts) == {case.arrives[0] for case in arriving}
    assert (first["created"], first["rejected_before_sending"]) == (
        len(arriving),
        rejected,
    )
    # Refused rows are refused again, never sent; nothing else changed.
    assert (second["contacts_sent"], second["rejected_before_sending"]) == (
        0,
        rejected,
    )


# Bindings -----------------------------------------------------------------------

HOSTILE = "2026-01-01'); DROP TABLE {table}; --"


def test_a_watermark_binding_carrying_sql_text_stays_a_value(sandbox_env, people):
    hostile = HOSTILE.format(table=people.table)

    with warehouse_client(sandbox_env) as client:
        result = client.execute(
            f"SELECT COUNT(*) FROM {people.table} WHERE FIRST_NAME > :last_sync",  # noqa: S608
            {"last_sync": hostile},
        )
        [[matched]] = list(result.rows())

    # Compared as text ("N..." > "2..."): every row, and the table is still there.
    assert matched == 200
    assert people.execute("SELECT COUNT(*) FROM {table}") == [(200,)]


def test_a_window_key_carrying_sql_text_is_refused_by_the_cli():
    hostile = HOSTILE.format(table="MARKETING_DB.PUBLIC.CUSTOMER_SEGMENTS")

    with pytest.raises(WindowError) as refused:
        tags_for("--from", hostile, "--to", hostile)

    assert str(refused.value).startswith(
        f"--from {hostile} is not the start of a window of tajo_sync. Windows follow"
    )


def test_a_statement_error_names_no_row_value(sandbox_env, people):
    people.execute("UPDATE {table} SET FIRST_NAME = 'ann@example.com' WHERE ID = 1")

    with (
        warehouse_client(sandbox_env) as client,
        pytest.raises(SnowflakeStatementError) as caught,
    ):
        client.execute(f"SELECT CAST(FIRST_NAME AS NUMBER) FROM {people.table}")  # noqa: S608

    assert "ann@example.com" not in str(caught.value)
    assert "a***@example.com" in str(caught.value)
