"""INFORMATION_SCHEMA.TABLES.LAST_ALTERED in the sandbox moves as Snowflake's does."""

from datetime import datetime

import pytest

from tajo_assets_tests.sandbox.snowflake_fixtures import SqlApi

LAST_ALTERED_SQL = (
    "SELECT TABLE_NAME, LAST_ALTERED FROM {database}.INFORMATION_SCHEMA.TABLES "
    "WHERE TABLE_SCHEMA = 'PUBLIC' ORDER BY TABLE_NAME"
)


def run(api: SqlApi, statement: str, **body) -> dict:
    response = api.submit(statement, **{**api.context, **body})
    assert response.status_code == 200, response.text
    return response.json()


def last_altered(api: SqlApi) -> dict[str, datetime]:
    """LAST_ALTERED of each table of the test's PUBLIC schema, decoded."""
    result = run(api, LAST_ALTERED_SQL.format(database=api.database))
    # TIMESTAMP_TZ/LTZ arrive as "<epoch seconds.fraction> <offset>".
    return {
        name: datetime.fromtimestamp(float(value.split()[0]))
        for name, value in result["data"]
    }


@pytest.fixture
def api(snowflake_api) -> SqlApi:
    run(snowflake_api, "CREATE TABLE CONTACTS (EMAIL VARCHAR, SCORE NUMBER)")
    run(snowflake_api, 'CREATE TABLE "mixed_Case" (ID NUMBER)')
    return snowflake_api


def test_creating_a_table_sets_its_last_altered_past_the_epoch(api):
    altered = last_altered(api)

    assert set(altered) == {"CONTACTS", "mixed_Case"}
    assert all(value.year > 1970 for value in altered.values())


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param("INSERT INTO CONTACTS VALUES ('a@example.com', 1)", id="insert"),
        pytest.param("UPDATE CONTACTS SET SCORE = 2", id="update-no-rows"),
        pytest.param("DELETE FROM CONTACTS WHERE SCORE > 0", id="delete"),
        pytest.param(
            "MERGE INTO CONTACTS USING (SELECT 'b@example.com' AS E) AS S "
            "ON CONTACTS.EMAIL = S.E WHEN NOT MATCHED THEN INSERT VALUES (S.E, 3)",
            id="merge",
        ),
        pytest.param("TRUNCATE TABLE CONTACTS", id="truncate"),
        pytest.param("ALTER TABLE CONTACTS ADD COLUMN NAME VARCHAR", id="alter"),
        pytest.param(
            "CREATE OR REPLACE TABLE CONTACTS AS SELECT 'c@example.com' AS EMAIL",
            id="create-or-replace",
        ),
    ],
)
def test_ddl_and_dml_move_last_altered_of_that_table_only(api, statement):
    before = last_altered(api)

    run(api, statement)

    after = last_altered(api)
    assert after["CONTACTS"] > before["CONTACTS"]
    assert after["mixed_Case"] == before["mixed_Case"]


def test_qualified_and_quoted_names_move_the_table_they_name(api):
    before = last_altered(api)

    qualified = f'{api.database}.PUBLIC."mixed_Case"'
    run(api, f"INSERT INTO {qualified} VALUES (1)")  # noqa: S608 (the test's own name)

    after = last_altered(api)
    assert after["mixed_Case"] > before["mixed_Case"]
    assert after["CONTACTS"] == before["CONTACTS"]


def test_reading_a_table_leaves_last_altered_alone(api):
    before = last_altered(api)

    run(api, "SELECT COUNT(*) FROM CONTACTS")

    assert last_altered(api) == before


def test_a_rolled_back_change_leaves_last_altered_alone(api):
    before = last_altered(api)

    statements = [
        "BEGIN",
        "INSERT INTO CONTACTS VALUES ('d@example.com', 4)",
        "ROLLBACK",
    ]
    run(
        api,
        ";\n".join(statements),
        parameters={"MULTI_STATEMENT_COUNT": str(len(statements))},
    )

    assert last_altered(api) == before
    count = run(api, "SELECT COUNT(*) FROM CONTACTS")["data"]
    assert count == [["0"]]
