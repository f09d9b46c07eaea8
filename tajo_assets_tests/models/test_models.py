"""The warehouse models in a Dagster run against the sandbox, over real HTTP.

Table names in the test SQL are the tests' own (S608 waived where they are
formatted in); values are bound.

Each test builds its models into its own schema from its own copy of ORDERS,
so changing an order or re-running never disturbs another test.
"""

import itertools
import textwrap
from collections import Counter, defaultdict
from datetime import UTC, date, datetime

import dagster as dg
import pytest

from tajo_assets.assets.sources import table_key
from tajo_assets_tests.assets.conftest import warehouse_client

RFM = dg.AssetKey(["models", "customer_rfm"])
SEGMENTS = dg.AssetKey(["models", "customer_segments"])
SCORES = dg.AssetKey(["marketing_db", "ml_predictions", "customer_scores"])
AUDIENCE = dg.AssetKey(["snowflake", "customer_segments"])
SYNC = dg.AssetKey(["brevo", "customer_segments"])
SAMPLE_ORDERS = "SNOWFLAKE_SAMPLE_DATA.TPCH_SF1.ORDERS"
SAMPLE_CUSTOMERS = "MARKETING_DB.PUBLIC.CUSTOMERS"
SAMPLE_SCORES = "MARKETING_DB.ML_PREDICTIONS.CUSTOMER_SCORES"
_schemas = itertools.count(1)


def query(env: dict[str, str], sql: str, bindings: dict | None = None) -> list[tuple]:
    """Run test SQL; table names in it are the test's own, never user input."""
    with warehouse_client(env) as client:
        return list(client.execute(sql, bindings).rows())


class ModelsProject:
    """A tajo.yaml whose models read a private ORDERS copy and write one schema.

    With `private_sources`, the contacts and the ML scores are private copies
    too (`self.customers`, `self.scores`), for tests that change them; with
    `timezone`, the project sets `connectors.snowflake.timezone`.
    """

    def __init__(
        self,
        write_project,
        env,
        freshness_hours: int = 48,
        *,
        private_sources: bool = False,
        timezone: str | None = None,
    ) -> None:
        self.env = env
        self.schema = f"MARKETING_DB.MODELS_TEST_{next(_schemas)}"
        self.orders = f"{self.schema}.ORDERS"
        self.segments = f"{self.schema}.CUSTOMER_SEGMENTS"
        self.customers = SAMPLE_CUSTOMERS
        self.scores = SAMPLE_SCORES
        query(env, f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
        query(env, f"CREATE TABLE {self.orders} AS SELECT * FROM {SAMPLE_ORDERS}")  # noqa: S608
        sources = ""
        if private_sources:
            self.customers = self._copy(SAMPLE_CUSTOMERS, "CUSTOMERS")
            self.scores = self._copy(SAMPLE_SCORES, "CUSTOMER_SCORES")
            sources = (
                f"  customers: {self.customers}\n  customer_scores: {self.scores}\n"
            )
        self.project = write_project(
            query=textwrap.dedent(
                f"""\
                SELECT email, first_name, last_name, ltv_score, rfm_class,
                       total_orders, last_purchase_date, predicted_churn,
                       segment_name AS customer_segment
                FROM {self.segments}
                WHERE updated_at > :last_sync
                """  # noqa: S608
            ),
            models=textwrap.dedent(
                f"""\
                models:
                  orders: {self.orders}
                  rfm_table: {self.schema}.CUSTOMER_RFM
                  segments_table: {self.segments}
                  scores_freshness_hours: {freshness_hours}
                """
            )
            + sources,
        )
        if timezone:
            _set_timezone(self.project.path, timezone)

    def _copy(self, table: str, name: str) -> str:
        copy = f"{self.schema}.{name}"
        query(self.env, f"CREATE TABLE {copy} AS SELECT * FROM {table}")  # noqa: S608
        return copy

    def run(self, instance) -> dg.ExecuteInProcessResult:
        """The whole sync job, Brevo included."""
        result = self.project.run(instance)
        assert result.success
        return result

    def build(self, instance, *also: dg.AssetKey) -> dg.ExecuteInProcessResult:
        """Only the observation and the models (and `also`): no Brevo sync."""
        result = self.project.run(
            instance, asset_selection=[table_key(self.scores), RFM, SEGMENTS, *also]
        )
        assert result.success
        return result

    def updated_at(self) -> dict[int, datetime]:
        rows = query(self.env, f"SELECT CUSTOMER_ID, UPDATED_AT FROM {self.segments}")  # noqa: S608
        return {int(customer): updated for customer, updated in rows}


def _set_timezone(path, timezone: str) -> None:
    """Set `timezone` in the connectors.snowflake block of a written tajo.yaml."""
    text = path.read_text()
    anchor = "    timezone: UTC\n"
    assert anchor in text
    path.write_text(text.replace(anchor, f"    timezone: {timezone}\n", 1))


def materialization(result: dg.ExecuteInProcessResult, key: dg.AssetKey) -> dict:
    """A materialization's metadata; a run over a range of windows records the
    same metadata once per window."""
    events = [
        e.event_specific_data.materialization
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
        and e.event_specific_data.materialization.asset_key == key
    ]
    assert events and all(e.metadata == events[0].metadata for e in events)
    return {name: value.value for name, value in events[0].metadata.items()}


def observation(result: dg.ExecuteInProcessResult, key: dg.AssetKey):
    [event] = [
        e.event_specific_data.asset_observation
        for e in result.all_events
        if e.event_type_value == "ASSET_OBSERVATION"
        and e.event_specific_data.asset_observation.asset_key == key
    ]
    return event


def check_evaluation(result: dg.ExecuteInProcessResult, key: dg.AssetKey):
    [evaluation] = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and e.event_specific_data.asset_key == key
    ]
    return evaluation


def ntile(ordered: list[int], buckets: int = 5) -> dict[int, int]:
    """SQL's NTILE over keys already in order: the first `n % buckets` get one more."""
    size, extra = divmod(len(ordered), buckets)
    tiles, start = {}, 0
    for bucket in range(1, buckets + 1):
        end = start + size + (1 if bucket <= extra else 0)
        tiles.update({key: bucket for key in ordered[start:end]})
        start = end
    return tiles


def rfm_class(r: int, f: int, m: int) -> str:
    if r >= 4 and f >= 4 and m >= 4:
        return "Champions"
    if r >= 3 and f >= 4:
        return "Loyal"
    if r >= 4:
        return "Potential Loyalists"
    if r <= 2 and f >= 3:
        return "At Risk"
    return "Lost" if r == 1 else "Hibernating"


def expected_rfm(env: dict[str, str], orders: str) -> dict[int, tuple]:
    """RFM per customer computed here, in Python, from the raw orders."""
    history = defaultdict(list)
    for customer, day, price in query(
        env,
        f"SELECT O_CUSTKEY, O_ORDERDATE, O_TOTALPRICE FROM {orders}",  # noqa: S608
    ):
        history[int(customer)].append((day, price))
    last = {c: _max_or_none(day for day, _ in rows) for c, rows in history.items()}
    count = {c: len(rows) for c, rows in history.items()}
    spend = {c: _sum_or_none(price for _, price in rows) for c, rows in history.items()}
    reference = max(day for day in last.values() if day is not None)
    r = ntile(sorted(history, key=lambda c: _nulls_first(last[c], c)))
    f = ntile(sorted(history, key=lambda c: (count[c], c)))
    m = ntile(sorted(history, key=lambda c: _nulls_first(spend[c], c)))
    return {
        c: (
            (reference - last[c]).days if last[c] is not None else None,
            count[c],
            spend[c],
            r[c],
            f[c],
            m[c],
            rfm_class(r[c], f[c], m[c]),
        )
        for c in history
    }


def _max_or_none(values):
    """SQL's MAX: NULLs ignored, NULL when nothing is left."""
    present = [value for value in values if value is not None]
    return max(present) if present else None


def _sum_or_none(values):
    """SQL's SUM: NULLs ignored, NULL when nothing is left."""
    present = [value for value in values if value is not None]
    return sum(present) if present else None


def _nulls_first(value, customer: int) -> tuple:
    """Sort key: a NULL value first (the worst quintile), then by value and key."""
    return (value is not None, value if value is not None else 0, customer)


def test_the_sync_job_observes_scores_then_builds_models_then_audience(
    write_project, sandbox_env, instance
):
    models = ModelsProject(write_project, sandbox_env)

    result = models.build(instance, AUDIENCE)

    rfm = materialization(result, RFM)
    assert rfm["snowflake_statements"] == 4
    assert len(rfm["statement_handles"]) == 4
    assert len(set(rfm["statement_handles"])) == 4
    assert rfm["multi_statement_handle"] not in rfm["statement_handles"]
    assert rfm["dagster/row_count"] == 1000
    assert sum(rfm["rfm_classes"].values()) == 1000
    segments = materialization(result, SEGMENTS)
    assert segments["snowflake_statements"] == 6
    assert (segments["rows_inserted"], segments["rows_updated"]) == (1500, 0)
    assert segments["dagster/row_count"] == 1500
    assert segments["snowflake_elapsed_s"] > 0
    assert materialization(result, AUDIENCE)["rows"] == 1500
    steps = [
        e.step_key
        for e in result.all_events
        if e.event_type_value in ("ASSET_MATERIALIZATION", "ASSET_OBSERVATION")
    ]
    assert steps.index("observe_customer_scores") < steps.index(
        "models__customer_segments"
    )
    assert steps.index("models__customer_rfm") < steps.index(
        "models__customer_segments"
    )
    assert steps.index("models__customer_segments") < steps.index(
        "snowflake__customer_segments"
    )


def test_every_customers_rfm_matches_an_independent_computation(
    write_project, sandbox_env, instance
):
    models = ModelsProject(write_project, sandbox_env)
    models.build(instance)

    rows = query(
        sandbox_env,
        "SELECT CUSTOMER_ID, RECENCY_DAYS, FREQUENCY, MONETARY, R_SCORE, F_SCORE, "  # noqa: S608
        f"M_SCORE, RFM_CLASS, LTV, RFM_SCORE FROM {models.schema}.CUSTOMER_RFM",
    )

    expected = expected_rfm(sandbox_env, models.orders)
    built = {int(row[0]): _as_expected(row[1:8]) for row in rows}
    assert built == expected
    assert all(row[8] == row[3] for row in rows)
    assert all(row[9] == f"{row[4]}{row[5]}{row[6]}" for row in rows)
    assert set(Counter(row[7] for row in rows)) == {
        "Champions",
        "Loyal",
        "Potential Loyalists",
        "At Risk",
        "Hibernating",
        "Lost",
    }


def test_segments_carry_the_ml_churn_score_and_the_enrichment(
    write_project, sandbox_env, instance
):
    models = ModelsProject(write_project, sandbox_env)
    models.build(instance)

    rows = query(
        sandbox_env,
        f"""
        SELECT s.SEGMENT_NAME, s.RFM_CLASS, s.PREDICTED_CHURN, m.CHURN_SCORE,
               s.TOTAL_ORDERS, r.FREQUENCY, s.LAST_PURCHASE_DATE, r.LAST_ORDER_DATE
        FROM {models.segments} AS s
        JOIN MARKETING_DB.PUBLIC.CUSTOMERS AS c ON c.CUSTOMER_ID = s.CUSTOMER_ID
        JOIN MARKETING_DB.ML_PREDICTIONS.CUSTOMER_SCORES AS m ON m.EMAIL = c.EMAIL
        LEFT JOIN {models.schema}.CUSTOMER_RFM AS r ON r.CUSTOMER_ID = s.CUSTOMER_ID
        """,  # noqa: S608
    )

    assert len(rows) == 1500
    assert all(row[2] == row[3] for row in rows)
    assert all(row[4] == (row[5] or 0) and row[6] == row[7] for row in rows)
    segment_of = {
        "Champions": {"VIP"},
        "Loyal": {"VIP", "Growth"},
        "Potential Loyalists": {"Growth"},
        "At Risk": {"Win back"},
        "Hibernating": {"Win back"},
        "Lost": {"Lapsed"},
    }
    assert all(row[0] in segment_of[row[1]] for row in rows)
    assert {row[0] for row in rows} == {"VIP", "Growth", "Win back", "Lapsed"}


def test_an_unchanged_rerun_touches_no_row_and_one_changed_order_one_row(
    write_project, sandbox_env, instance
):
    models = ModelsProject(write_project, sandbox_env)
    models.run(instance)
    first = models.updated_at()

    again = models.run(instance)

    assert models.updated_at() == first
    assert materialization(again, SEGMENTS)["rows_updated"] == 0
    assert materialization(again, SYNC)["contacts_sent"] == 0

    customer = _customer_with_a_spend_gap(sandbox_env, models.orders)
    query(
        sandbox_env,
        f"UPDATE {models.orders} SET O_TOTALPRICE = O_TOTALPRICE + 0.01 "  # noqa: S608
        f"WHERE O_ORDERKEY = (SELECT MIN(O_ORDERKEY) FROM {models.orders} "
        "WHERE O_CUSTKEY = :customer)",
        {"customer": customer},
    )
    changed = models.run(instance)

    after = models.updated_at()
    assert {c for c in after if after[c] != first[c]} == {customer}
    assert materialization(changed, SEGMENTS)["rows_updated"] == 1
    assert materialization(changed, SYNC)["contacts_sent"] == 1
    assert materialization(changed, SYNC)["updated"] == 1


def _as_expected(values: tuple) -> tuple:
    """Recency, frequency and the three scores as ints; spend and class as read."""
    recency, frequency, spend, r, f, m, name = values
    recency = int(recency) if recency is not None else None
    return (recency, int(frequency), spend, int(r), int(f), int(m), name)


def _customer_with_a_spend_gap(env: dict[str, str], orders: str) -> int:
    """A customer whose spend is at least 1.00 away from every other's, so a
    cent more changes its LTV but no one's quintile."""
    spend = sorted(
        (price, int(customer))
        for customer, price in query(
            env,
            f"SELECT O_CUSTKEY, SUM(O_TOTALPRICE) FROM {orders} GROUP BY 1",  # noqa: S608
        )
    )
    for i in range(1, len(spend) - 1):
        if spend[i][0] - spend[i - 1][0] > 1 and spend[i + 1][0] - spend[i][0] > 1:
            return spend[i][1]
    raise AssertionError("no customer with a spend gap in the sample")


def test_the_ml_scores_are_observed_with_a_data_version_and_last_update(
    write_project, sandbox_env, instance
):
    models = ModelsProject(write_project, sandbox_env)

    result = models.build(instance)

    seen = observation(result, SCORES)
    metadata = {name: value.value for name, value in seen.metadata.items()}
    assert metadata["dagster/row_count"] == 1500
    assert metadata["latest_score_date"] == "2026-11-30"
    assert metadata["dagster/last_updated_timestamp"] == (
        datetime(2026, 11, 30, tzinfo=UTC).timestamp()
    )
    assert metadata["snowflake_statements"] == 1
    assert seen.data_version == "1500:2026-11-30"


@pytest.mark.parametrize(
    ("hours", "passed"), [(1, False), (24 * 365 * 100, True)], ids=["1h", "100y"]
)
def test_the_ml_scores_freshness_check_compares_score_date_with_the_window(
    write_project, sandbox_env, instance, hours, passed
):
    assert date.today() > date(2026, 11, 30)  # the sandbox's SCORE_DATE
    models = ModelsProject(write_project, sandbox_env, freshness_hours=hours)
    job = models.project.definitions().resolve_job_def("tajo_sync")

    result = job.execute_in_process(instance=instance, asset_selection=[SCORES])

    evaluation = check_evaluation(result, SCORES)
    assert evaluation.passed is passed
    assert evaluation.severity == dg.AssetCheckSeverity.WARN


def test_customers_without_order_dates_or_totals_score_in_the_worst_quintile(
    write_project, sandbox_env, instance
):
    models = ModelsProject(write_project, sandbox_env)
    undated, unpriced = _two_customers(sandbox_env, models.orders)
    query(
        sandbox_env,
        f"UPDATE {models.orders} SET O_ORDERDATE = NULL WHERE O_CUSTKEY = :c",  # noqa: S608
        {"c": undated},
    )
    query(
        sandbox_env,
        f"UPDATE {models.orders} SET O_TOTALPRICE = NULL WHERE O_CUSTKEY = :c",  # noqa: S608
        {"c": unpriced},
    )

    models.build(instance)

    rows = query(
        sandbox_env,
        "SELECT CUSTOMER_ID, RECENCY_DAYS, FREQUENCY, MONETARY, R_SCORE, F_SCORE, "  # noqa: S608
        f"M_SCORE, RFM_CLASS FROM {models.schema}.CUSTOMER_RFM",
    )
    built = {int(row[0]): _as_expected(row[1:]) for row in rows}
    assert built[undated][0] is None and built[undated][3] == 1  # recency, R_SCORE
    assert built[unpriced][2] is None and built[unpriced][5] == 1  # spend, M_SCORE
    assert built == expected_rfm(sandbox_env, models.orders)


def _two_customers(env: dict[str, str], orders: str) -> tuple[int, int]:
    """The two customers with the latest and the highest-spending orders: the
    ones a NULL sorted as best would move furthest."""
    [(latest,)] = query(
        env,
        f"SELECT O_CUSTKEY FROM {orders} ORDER BY O_ORDERDATE DESC, O_CUSTKEY LIMIT 1",  # noqa: S608
    )
    [(richest,)] = query(
        env,
        f"SELECT O_CUSTKEY FROM {orders} WHERE O_CUSTKEY <> :latest "  # noqa: S608
        "GROUP BY O_CUSTKEY ORDER BY SUM(O_TOTALPRICE) DESC LIMIT 1",
        {"latest": latest},
    )
    return int(latest), int(richest)


def test_an_undated_ml_score_counts_only_when_an_email_has_no_dated_one(
    write_project, sandbox_env, instance
):
    models = ModelsProject(write_project, sandbox_env, private_sources=True)
    (dated, score, day), (undated, undated_score, _) = _two_scored_contacts(
        sandbox_env, models
    )
    # Next to the dated score: an undated one, and a lower one the same day.
    _add_score(sandbox_env, models, dated, 0.999, None)
    _add_score(sandbox_env, models, dated, score / 2, day)
    query(
        sandbox_env,
        f"UPDATE {models.scores} SET SCORE_DATE = NULL WHERE EMAIL = :email",  # noqa: S608
        {"email": undated},
    )

    models.build(instance)

    churn = dict(
        query(
            sandbox_env,
            f"SELECT EMAIL, PREDICTED_CHURN FROM {models.segments} "  # noqa: S608
            "WHERE EMAIL IN (:dated, :undated)",
            {"dated": dated, "undated": undated},
        )
    )
    assert churn == {dated: score / 2, undated: undated_score}


def _two_scored_contacts(env, models: ModelsProject) -> list[tuple]:
    """Two contacts whose email has exactly one dated, positive ML score:
    (email, churn score, score date) each."""
    return query(
        env,
        f"SELECT c.EMAIL, s.CHURN_SCORE, s.SCORE_DATE FROM {models.customers} AS c "  # noqa: S608
        f"JOIN {models.scores} AS s ON s.EMAIL = c.EMAIL "
        "WHERE s.SCORE_DATE IS NOT NULL AND s.CHURN_SCORE > 0 "
        "AND c.EMAIL = LOWER(TRIM(c.EMAIL)) ORDER BY c.CUSTOMER_ID LIMIT 2",
    )


def _add_score(env, models: ModelsProject, email: str, churn: float, day) -> None:
    query(
        env,
        f"INSERT INTO {models.scores} (EMAIL, PREDICTED_LTV, CHURN_SCORE, SCORE_DATE) "  # noqa: S608
        "VALUES (:email, 1, :churn, :day)",
        {"email": email, "churn": churn, "day": day},
    )


def test_a_customer_id_repeated_in_the_contacts_gives_one_stable_segment_row(
    write_project, sandbox_env, instance
):
    models = ModelsProject(write_project, sandbox_env, private_sources=True)
    [(customer, email)] = query(
        sandbox_env,
        f"SELECT CUSTOMER_ID, EMAIL FROM {models.customers} "  # noqa: S608
        "WHERE EMAIL LIKE 'l%' ORDER BY CUSTOMER_ID LIMIT 1",
    )
    insert = (
        f"INSERT INTO {models.customers} (CUSTOMER_ID, EMAIL, FIRST_NAME, LAST_NAME) "  # noqa: S608
        "VALUES (:id, :email, 'Dup', 'Licate')"
    )
    query(sandbox_env, insert, {"id": customer, "email": "a.duplicate@example.com"})
    query(sandbox_env, insert, {"id": customer, "email": "z.duplicate@example.com"})
    query(sandbox_env, insert, {"id": None, "email": "no.id@example.com"})

    first = materialization(models.build(instance), SEGMENTS)
    again = materialization(models.build(instance), SEGMENTS)

    rows = query(
        sandbox_env,
        f"SELECT EMAIL, FIRST_NAME FROM {models.segments} WHERE CUSTOMER_ID = :id",  # noqa: S608
        {"id": customer},
    )
    assert min(email, "a.duplicate@example.com") == "a.duplicate@example.com"
    assert rows == [("a.duplicate@example.com", "Dup")]
    assert first["dagster/row_count"] == 1500
    assert (again["rows_inserted"], again["rows_updated"]) == (0, 0)


@pytest.mark.parametrize("timezone", ["Asia/Tokyo", "America/Los_Angeles"])
def test_an_audience_sends_exactly_the_changed_row_in_any_session_timezone(
    write_project, sandbox_env, instance, timezone
):
    models = ModelsProject(write_project, sandbox_env, timezone=timezone)
    models.run(instance)
    customer = _customer_with_a_spend_gap(sandbox_env, models.orders)
    query(
        sandbox_env,
        f"UPDATE {models.orders} SET O_TOTALPRICE = O_TOTALPRICE + 0.01 "  # noqa: S608
        f"WHERE O_ORDERKEY = (SELECT MIN(O_ORDERKEY) FROM {models.orders} "
        "WHERE O_CUSTKEY = :customer)",
        {"customer": customer},
    )

    changed = models.run(instance)

    assert materialization(changed, SEGMENTS)["rows_updated"] == 1
    assert materialization(changed, SYNC)["contacts_sent"] == 1
    assert materialization(changed, SYNC)["updated"] == 1
