"""The models' SQL files, their settings and the lineage read from audience SQL."""

import json
import logging

import dagster as dg
import pytest

from tajo_assets.assets.sources import name_parts, quoted_name, tables_read_by
from tajo_assets.build import build_definitions
from tajo_assets.config import ConfigError, load_config
from tajo_assets.config.models import ModelsConfig
from tajo_assets.models import (
    customer_rfm_statements,
    customer_scores_observation,
    customer_segments_statements,
    split_sql,
)
from tajo_assets.models.statements import render
from tajo_assets_tests.config.support import SNOWFLAKE_ONLY, line_about

AUDIENCE_PROJECT = """\
connectors:
  snowflake:
    account: myorg-myaccount
    user: TAJO
    database: MARKETING_DB
    schema: PUBLIC
    queries:
      q: {sql}
  brevo:
    api_key: ${{BREVO_API_KEY}}
field_mapping:
  email: email
syncs:
  s:
    type: reverse-etl
    query: q
    destination: {{list_id: 1}}
"""


def test_each_model_is_a_list_of_statements_without_semicolons():
    rfm = customer_rfm_statements(ModelsConfig())
    segments = customer_segments_statements(ModelsConfig())

    assert [_command(s) for s in rfm] == ["CREATE", "CREATE", "CREATE", "SELECT"]
    assert [_command(s) for s in segments] == [
        "CREATE",
        "CREATE",
        "CREATE",
        "MERGE",
        "DELETE",
        "SELECT",
    ]
    assert not any(statement.rstrip().endswith(";") for statement in rfm + segments)


def test_configured_tables_are_placed_in_the_sql():
    models = ModelsConfig(
        orders="shop.raw.orders_v", rfm_table="SHOP.MARTS.RFM", segments_table="a.b.c"
    )

    rfm = "\n".join(customer_rfm_statements(models))
    segments = "\n".join(customer_segments_statements(models))

    assert "FROM SHOP.RAW.ORDERS_V" in rfm
    assert "CREATE SCHEMA IF NOT EXISTS SHOP.MARTS" in rfm
    assert "MERGE INTO A.B.C AS t" in segments
    assert "FROM SHOP.MARTS.RFM" not in segments  # joined, not selected from
    assert "LEFT JOIN SHOP.MARTS.RFM AS r" in segments
    assert customer_scores_observation(models).endswith(
        "FROM MARKETING_DB.ML_PREDICTIONS.CUSTOMER_SCORES"
    )


def test_a_name_that_is_not_a_plain_identifier_is_never_placed_in_sql():
    with pytest.raises(ValueError, match="orders 'X; DROP TABLE Y' is not a plain"):
        render("customer_rfm", orders="X; DROP TABLE Y", rfm_table="A", rfm_schema="B")


def test_split_sql_drops_comment_only_parts():
    text = "-- header\nSELECT 1;\n-- between\n;\nSELECT 2 -- tail;\n"

    assert split_sql(text) == ["-- header\nSELECT 1", "SELECT 2 -- tail"]


def test_a_models_table_must_be_fully_qualified(tmp_path):
    path = tmp_path / "tajo.yaml"
    path.write_text(SNOWFLAKE_ONLY + "models:\n  orders: ORDERS\n")

    with pytest.raises(ConfigError) as error:
        load_config(path, env={})

    line = line_about(str(error.value), "models.orders")
    assert "fully qualified table name DATABASE.SCHEMA.TABLE" in line
    assert "'ORDERS'" in line


def test_without_a_models_block_there_are_no_models(tmp_path):
    path = tmp_path / "tajo.yaml"
    path.write_text(SNOWFLAKE_ONLY)

    assert load_config(path, env={}).models is None


def test_tables_read_by_qualifies_names_and_leaves_out_ctes():
    sql = (
        "WITH recent AS (SELECT * FROM crm.orders) "
        "SELECT * FROM customer_segments JOIN recent USING (id) "
        'JOIN db2.s."MixedCase" USING (id) WHERE updated_at > :last_sync'
    )

    assert tables_read_by(sql, "MARKETING_DB", "PUBLIC") == [
        'DB2.S."MixedCase"',
        "MARKETING_DB.CRM.ORDERS",
        "MARKETING_DB.PUBLIC.CUSTOMER_SEGMENTS",
    ]
    assert tables_read_by("SELECT * FROM t", None, None) == ["T"]


def test_a_query_lineage_cannot_parse_has_no_upstream_and_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="tajo_assets.sync"):
        tables = tables_read_by("SELECT FROM WHERE ((", "DB", "S")

    assert tables == []
    assert "lineage: cannot parse a query" in caplog.text


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ('"Audience 2024"', ["marketing_db", "public", "audience_2024"]),
        ('MARKETING_DB."a.b"', ["marketing_db", "marketing_db", "a.b"]),
        ('"my-list"', ["marketing_db", "public", "my-list"]),
        ('crm."Ünïcode ""x"""', ["marketing_db", "crm", "_n_code__x_"]),
        ("x.y.z.w", None),
        ("TABLE(FLATTEN(input => PARSE_JSON('[1]')))", None),
    ],
    ids=["space", "dot", "dash", "unicode-quotes", "four-parts", "table-function"],
)
def test_any_table_name_an_audience_reads_loads_with_one_key_part_per_name_part(
    tmp_path, table, key
):
    defs = _definitions(tmp_path, f"SELECT email FROM {table}")  # noqa: S608

    graph = defs.resolve_asset_graph()
    parents = graph.get(dg.AssetKey(["snowflake", "q"])).parent_keys
    assert parents == ({dg.AssetKey(key)} if key else set())


def test_quoted_names_round_trip_through_their_parts():
    parts = ["MARKETING_DB", "a.b", 'say "hi"', "PLAIN_1$"]

    name = quoted_name(parts)

    assert name == 'MARKETING_DB."a.b"."say ""hi""".PLAIN_1$'
    assert name_parts(name) == parts
    assert quoted_name(["DB", "S", "lower"]) == 'DB.S."lower"'


def test_tables_with_one_asset_key_give_one_upstream_and_one_source(tmp_path):
    sql = 'SELECT email FROM "customers" JOIN customers USING (id)'

    defs = _definitions(tmp_path, sql)

    graph = defs.resolve_asset_graph()
    parents = graph.get(dg.AssetKey(["snowflake", "q"])).parent_keys
    assert parents == {dg.AssetKey(["marketing_db", "public", "customers"])}


def _definitions(tmp_path, sql: str) -> dg.Definitions:
    """Definitions of a project with one audience query `q` running `sql`."""
    path = tmp_path / "tajo.yaml"
    path.write_text(AUDIENCE_PROJECT.format(sql=json.dumps(sql)))
    return build_definitions(load_config(path, env={"BREVO_API_KEY": "x"}))


def _command(statement: str) -> str:
    lines = [line for line in statement.splitlines() if not line.startswith("--")]
    return lines[0].split()[0]
