"""The objects a query reads, as the set-up script grants them."""

import pytest

from tajo_assets.setup.sources import NotAnalysable, source_objects


def paths(
    sql: str, database: str | None = "MARKETING_DB", schema: str | None = "PUBLIC"
):
    return [o.path for o in source_objects(sql, database, schema)]


def test_names_are_completed_from_the_connection_and_ctes_are_not_objects():
    sql = """
        WITH recent AS (SELECT * FROM analytics.orders WHERE day > :last_sync)
        SELECT c.email FROM customers c
        JOIN recent r ON r.id = c.id
        JOIN other_db.scores.churn s ON s.email = c.email
        WHERE c.id IN (SELECT id FROM customers)
    """

    assert paths(sql) == [
        "MARKETING_DB.ANALYTICS.ORDERS",
        "MARKETING_DB.PUBLIC.CUSTOMERS",
        "OTHER_DB.SCORES.CHURN",
    ]


def test_quoted_names_keep_their_case_and_quotes():
    sql = 'SELECT * FROM "Mixed Case"."lower t" JOIN "Raw" ON TRUE'

    assert paths(sql) == [
        'MARKETING_DB."Mixed Case"."lower t"',
        'MARKETING_DB.PUBLIC."Raw"',
    ]


def test_lower_case_connection_names_are_quoted_as_the_sql_api_takes_them():
    assert paths("SELECT 1 FROM t", "marketing_db", "public") == [
        '"marketing_db"."public".T'
    ]


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("SELECT FROM WHERE", "could not parse"),
        ("SELECT * FROM t; SELECT * FROM u", "2 statements"),
        ("SELECT * FROM IDENTIFIER(:table_name)", "computed name"),
        ("SELECT * FROM @my_stage", "computed name"),
    ],
)
def test_a_query_that_cannot_be_followed_says_why(sql, reason):
    with pytest.raises(NotAnalysable, match=reason):
        source_objects(sql, "MARKETING_DB", "PUBLIC")


def test_an_unqualified_name_without_a_configured_schema_is_not_guessed():
    with pytest.raises(NotAnalysable, match=r"connectors\.snowflake\.schema"):
        source_objects("SELECT * FROM customers", "MARKETING_DB", None)
