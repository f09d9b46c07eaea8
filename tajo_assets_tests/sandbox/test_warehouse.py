"""The sample warehouse, built at a small scale factor and read through the SQL API."""

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tajo_assets.sandbox.runner import WAREHOUSE_LAYOUT, prepare_home
from tajo_assets.sandbox.warehouse import (
    SampleDataError,
    SampleWarehouse,
    generate_sample_warehouse,
)
from tajo_assets_tests.sandbox.snowflake_fixtures import SqlApi, start_sandbox

SCALE_FACTOR = 0.01  # 1,500 customers, 15,000 orders
ROW_COUNTS = """
    SELECT 'SNOWFLAKE_SAMPLE_DATA.TPCH_SF1.CUSTOMER', COUNT(*)
    FROM SNOWFLAKE_SAMPLE_DATA.TPCH_SF1.CUSTOMER
    UNION ALL SELECT 'SNOWFLAKE_SAMPLE_DATA.TPCH_SF1.ORDERS', COUNT(*)
    FROM SNOWFLAKE_SAMPLE_DATA.TPCH_SF1.ORDERS
    UNION ALL SELECT 'MARKETING_DB.PUBLIC.CUSTOMERS', COUNT(*)
    FROM MARKETING_DB.PUBLIC.CUSTOMERS
    UNION ALL SELECT 'MARKETING_DB.ML_PREDICTIONS.CUSTOMER_SCORES', COUNT(*)
    FROM MARKETING_DB.ML_PREDICTIONS.CUSTOMER_SCORES
    UNION ALL SELECT 'MARKETING_DB.ANALYTICS.CUSTOMER_RFM', COUNT(*)
    FROM MARKETING_DB.ANALYTICS.CUSTOMER_RFM
    UNION ALL SELECT 'MARKETING_DB.PUBLIC.CUSTOMER_SEGMENTS', COUNT(*)
    FROM MARKETING_DB.PUBLIC.CUSTOMER_SEGMENTS
"""
RFM_CLASSES = {
    "Champions",
    "Loyal",
    "Potential Loyalists",
    "At Risk",
    "Hibernating",
    "Lost",
}
EPOCH = dt.date(1970, 1, 1)
SCORE_DATE = dt.date(2026, 11, 30)
REGULAR_EMAIL = re.compile(r"^[a-z]+\.[a-z]+\.\d{6}@example\.com$")
PLAUSIBLE_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def days(day: dt.date) -> str:
    """A DATE as the SQL API sends it."""
    return str((day - EPOCH).days)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("tpch-cache")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, cache_dir) -> SampleWarehouse:
    db_path = tmp_path_factory.mktemp("warehouse")
    return generate_sample_warehouse(
        db_path, scale_factor=SCALE_FACTOR, cache_dir=cache_dir
    )


@pytest.fixture(scope="module")
def api(warehouse, key_pair) -> Iterator[SqlApi]:
    """The SQL API sandbox serving the generated database files."""
    with ExitStack() as stack:
        yield start_sandbox(stack, key_pair, db_path=warehouse.db_path)


def query(api: SqlApi, statement: str) -> list[list[str | None]]:
    response = api.submit(statement)
    assert response.status_code == 200, response.text
    return api.all_rows(response)


def test_every_table_has_the_expected_rows(warehouse, api):
    expected = {
        "SNOWFLAKE_SAMPLE_DATA.TPCH_SF1.CUSTOMER": 1_500,
        "SNOWFLAKE_SAMPLE_DATA.TPCH_SF1.ORDERS": 15_000,
        "MARKETING_DB.PUBLIC.CUSTOMERS": 1_500,
        "MARKETING_DB.ML_PREDICTIONS.CUSTOMER_SCORES": 1_500,
        # TPC-H gives no orders to every third customer key.
        "MARKETING_DB.ANALYTICS.CUSTOMER_RFM": 1_000,
        "MARKETING_DB.PUBLIC.CUSTOMER_SEGMENTS": 1_500,
    }

    served = {name: int(count) for name, count in query(api, ROW_COUNTS)}

    assert warehouse.row_counts == expected
    assert {name: int(count) for name, count in served.items()} == expected
    assert "CUSTOMER_SEGMENTS 1,500" in str(warehouse)


def test_tpch_tables_have_snowflakes_upper_case_columns_and_types(api):
    response = api.submit(
        "SELECT C_CUSTKEY, C_ACCTBAL, C_MKTSEGMENT, O_ORDERDATE, O_TOTALPRICE "
        "FROM SNOWFLAKE_SAMPLE_DATA.TPCH_SF1.CUSTOMER "
        "JOIN SNOWFLAKE_SAMPLE_DATA.TPCH_SF1.ORDERS ON O_CUSTKEY = C_CUSTKEY LIMIT 1"
    )

    columns = response.json()["resultSetMetaData"]["rowType"]
    assert [(c["name"], c["type"], c["precision"], c["scale"]) for c in columns] == [
        ("C_CUSTKEY", "fixed", 38, 0),
        ("C_ACCTBAL", "fixed", 12, 2),
        ("C_MKTSEGMENT", "text", 0, 0),
        ("O_ORDERDATE", "date", 0, 0),
        ("O_TOTALPRICE", "fixed", 12, 2),
    ]


def test_customer_segments_has_the_documented_columns(api):
    response = api.submit("SELECT * FROM MARKETING_DB.PUBLIC.CUSTOMER_SEGMENTS LIMIT 0")

    columns = response.json()["resultSetMetaData"]["rowType"]
    assert [(c["name"], c["type"]) for c in columns] == [
        ("CUSTOMER_ID", "fixed"),
        ("EMAIL", "text"),
        ("FIRST_NAME", "text"),
        ("LAST_NAME", "text"),
        ("SEGMENT_NAME", "text"),
        ("LTV_SCORE", "fixed"),
        ("RFM_CLASS", "text"),
        ("TOTAL_ORDERS", "fixed"),
        ("LAST_PURCHASE_DATE", "date"),
        ("PREDICTED_CHURN", "real"),
        ("UPDATED_AT", "timestamp_tz"),
    ]
    assert (columns[5]["precision"], columns[5]["scale"]) == (12, 2)


def test_order_counts_and_spend_match_the_orders_table(api):
    mismatches = query(
        api,
        """
        SELECT COUNT(*)
        FROM MARKETING_DB.PUBLIC.CUSTOMER_SEGMENTS AS s
        LEFT JOIN (
            SELECT O_CUSTKEY, COUNT(*) AS N, SUM(O_TOTALPRICE) AS SPEND
            FROM SNOWFLAKE_SAMPLE_DATA.TPCH_SF1.ORDERS GROUP BY O_CUSTKEY
        ) AS o ON o.O_CUSTKEY = s.CUSTOMER_ID
        WHERE s.TOTAL_ORDERS <> COALESCE(o.N, 0)
           OR s.LTV_SCORE <> CAST(COALESCE(o.SPEND, 0) AS NUMBER(12, 2))
        """,
    )
    without_orders = query(
        api,
        "SELECT TOTAL_ORDERS, LAST_PURCHASE_DATE, LTV_SCORE, RFM_CLASS, "
        "PREDICTED_CHURN "
        "FROM MARKETING_DB.PUBLIC.CUSTOMER_SEGMENTS WHERE CUSTOMER_ID NOT IN "
        "(SELECT O_CUSTKEY FROM SNOWFLAKE_SAMPLE_DATA.TPCH_SF1.ORDERS)",
    )

    assert mismatches == [["0"]]
    assert len(without_orders) > 100
    assert {tuple(row) for row in without_orders} == {
        ("0", None, "0.00", "Lost", "1.0")
    }


def test_rfm_classes_come_from_the_list_and_all_occur(api):
    classes = query(
        api, "SELECT DISTINCT RFM_CLASS FROM MARKETING_DB.PUBLIC.CUSTOMER_SEGMENTS"
    )

    assert {row[0] for row in classes} == RFM_CLASSES


def test_last_purchase_dates_are_the_tpch_order_dates(api):
    mismatches = query(
        api,
        """
        SELECT COUNT(*)
        FROM MARKETING_DB.PUBLIC.CUSTOMER_SEGMENTS AS s
        JOIN (
            SELECT O_CUSTKEY, MAX(O_ORDERDATE) AS LAST_ORDER
            FROM SNOWFLAKE_SAMPLE_DATA.TPCH_SF1.ORDERS GROUP BY O_CUSTKEY
        ) AS o ON o.O_CUSTKEY = s.CUSTOMER_ID
        WHERE s.LAST_PURCHASE_DATE <> o.LAST_ORDER
        """,
    )

    assert mismatches == [["0"]]


def test_the_models_first_build_stamps_every_row_at_once(api):
    stamps = query(
        api,
        "SELECT COUNT(DISTINCT UPDATED_AT), COUNT(UPDATED_AT) "
        "FROM MARKETING_DB.PUBLIC.CUSTOMER_SEGMENTS",
    )

    assert stamps == [["1", "1500"]]


def test_emails_are_mostly_regular_with_a_few_invalid_and_messy(api):
    emails = [
        row[0]
        for row in query(api, "SELECT EMAIL FROM MARKETING_DB.PUBLIC.CUSTOMER_SEGMENTS")
    ]

    normalized = [email.strip().lower() for email in emails]
    invalid = [e for e in normalized if not PLAUSIBLE_EMAIL.match(e)]
    messy = [e for e, n in zip(emails, normalized, strict=True) if e != n]
    assert 1 <= len(invalid) <= 0.003 * len(emails)
    assert 2 <= len(messy) <= 0.01 * len(emails)
    assert all(PLAUSIBLE_EMAIL.match(e.strip().lower()) for e in messy)
    regular = [e for e in emails if REGULAR_EMAIL.match(e)]
    assert len(regular) == len(emails) - len(invalid) - len(messy)
    assert len(set(normalized)) == len(normalized)


def test_names_include_devanagari_and_arabic(api):
    names = query(
        api, "SELECT FIRST_NAME, LAST_NAME FROM MARKETING_DB.PUBLIC.CUSTOMER_SEGMENTS"
    )

    text = " ".join(name for row in names for name in row)
    assert re.search(r"[\u0900-\u097F]", text)
    assert re.search(r"[\u0600-\u06FF]", text)
    assert all(name for row in names for name in row)


def test_contacts_carry_title_cased_market_segments(api):
    segments = query(
        api, "SELECT DISTINCT MARKET_SEGMENT FROM MARKETING_DB.PUBLIC.CUSTOMERS"
    )

    assert {row[0] for row in segments} == {
        "Automobile",
        "Building",
        "Furniture",
        "Household",
        "Machinery",
    }


def test_segment_names_come_from_the_enrichment_and_all_occur(api):
    segments = query(
        api, "SELECT DISTINCT SEGMENT_NAME FROM MARKETING_DB.PUBLIC.CUSTOMER_SEGMENTS"
    )

    assert {row[0] for row in segments} == {"VIP", "Growth", "Win back", "Lapsed"}


def test_churn_is_a_probability(api):
    bounds = query(
        api,
        "SELECT MIN(PREDICTED_CHURN), MAX(PREDICTED_CHURN) "
        "FROM MARKETING_DB.PUBLIC.CUSTOMER_SEGMENTS",
    )

    low, high = (float(value) for value in bounds[0])
    assert 0.0 <= low < high <= 1.0


def test_customer_scores_carry_one_row_per_customer_email(api):
    scores = query(
        api,
        "SELECT EMAIL, PREDICTED_LTV, CHURN_SCORE, SCORE_DATE "
        "FROM MARKETING_DB.ML_PREDICTIONS.CUSTOMER_SCORES",
    )
    segments = query(
        api,
        "SELECT EMAIL, LTV_SCORE, PREDICTED_CHURN "
        "FROM MARKETING_DB.PUBLIC.CUSTOMER_SEGMENTS",
    )

    by_email = {email: (ltv, churn) for email, ltv, churn in segments}
    assert Counter(row[0] for row in scores) == Counter(row[0] for row in segments)
    assert {row[3] for row in scores} == {days(SCORE_DATE)}
    for email, predicted_ltv, churn, _ in scores:
        ltv, segment_churn = by_email[email]
        assert churn == segment_churn
        assert 0 <= float(predicted_ltv) <= float(ltv)


def test_a_second_build_reuses_the_parquet_and_gives_the_same_rows(
    warehouse, api, cache_dir, tmp_path, key_pair
):
    cached = sorted(cache_dir.rglob("*.parquet"))
    modified = [path.stat().st_mtime_ns for path in cached]

    again = generate_sample_warehouse(
        tmp_path, scale_factor=SCALE_FACTOR, cache_dir=cache_dir
    )

    assert again.step_seconds["generate"] == 0.0
    assert [path.stat().st_mtime_ns for path in cached] == modified
    assert again.row_counts == warehouse.row_counts
    # UPDATED_AT is the time of each build; every other column must repeat.
    everything = (
        "SELECT * EXCLUDE (UPDATED_AT) FROM MARKETING_DB.PUBLIC.CUSTOMER_SEGMENTS "
        "ORDER BY CUSTOMER_ID"
    )
    with ExitStack() as stack:
        second = start_sandbox(stack, key_pair, db_path=tmp_path)
        assert query(second, everything) == query(api, everything)


def test_a_missing_tpchgen_cli_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr("sys.executable", str(tmp_path / "bin" / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(SampleDataError, match=r"pip install -e '\.\[sandbox\]'"):
        generate_sample_warehouse(tmp_path / "db", scale_factor=SCALE_FACTOR)


def test_a_scale_factor_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="scale_factor is 0; it must be > 0"):
        generate_sample_warehouse(tmp_path, scale_factor=0)


def test_a_failing_tpchgen_cli_reports_its_exit_code_and_error(tmp_path, monkeypatch):
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    fake = fake_bin / "tpchgen-cli"
    fake.write_text("#!/bin/sh\necho 'disk full' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setattr("sys.executable", str(fake_bin / "python"))

    with pytest.raises(SampleDataError, match="exit code 3: disk full"):
        generate_sample_warehouse(
            tmp_path / "db", scale_factor=SCALE_FACTOR, cache_dir=tmp_path / "cache"
        )

    assert list((tmp_path / "cache").iterdir()) == []


def test_a_sandbox_home_of_an_older_layout_is_rebuilt_once(tmp_path):
    root = tmp_path / "home"
    stale = root / "warehouse" / "MARKETING_DB.db"
    stale.parent.mkdir(parents=True)
    stale.write_text("a warehouse from before the models")

    home = prepare_home(root, scale_factor=SCALE_FACTOR)
    built = home.layout_path.stat().st_mtime_ns
    again = prepare_home(root, scale_factor=SCALE_FACTOR)

    assert home.layout_path.read_text().strip() == WAREHOUSE_LAYOUT
    assert stale.read_bytes() != b"a warehouse from before the models"
    assert again.layout_path.stat().st_mtime_ns == built


def test_order_events_give_one_event_row_per_order_with_its_customers_email(api):
    [[events, orders, named]] = query(
        api,
        """
        SELECT
            (SELECT COUNT(*) FROM MARKETING_DB.PUBLIC.ORDER_EVENTS),
            (SELECT COUNT(*) FROM SNOWFLAKE_SAMPLE_DATA.TPCH_SF1.ORDERS),
            (SELECT COUNT(*) FROM MARKETING_DB.PUBLIC.ORDER_EVENTS
             WHERE EVENT_NAME = 'order_placed' AND EMAIL IS NOT NULL
             AND ORDERED_AT IS NOT NULL)
        """,
    )

    assert int(events) == int(orders) == int(named)
