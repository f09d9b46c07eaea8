"""Attribute values across runs: 0, false and "", NULL policies, days, categories.

Each test owns a small warehouse table, changes it between runs of the
tajo_sync job (in process, over real HTTP to both sandboxes), and checks the
attributes the Brevo sandbox holds in the end and each run's counts.
"""

import textwrap

import dagster as dg
import pytest

from tajo_assets_tests.assets.conftest import brevo_api, create_table, warehouse_client

SYNC = "brevo__customer_segments"
ANA, BO = "ana@example.com", "bo@example.com"


def sync_counts(result: dg.ExecuteInProcessResult) -> dict[str, object]:
    assert result.success
    [event] = result.asset_materializations_for_node(SYNC)
    return {key: value.value for key, value in event.metadata.items()}


def sent(result: dg.ExecuteInProcessResult) -> tuple[int, int, int]:
    counts = sync_counts(result)
    return counts["created"], counts["updated"], counts["unchanged"]


def attributes(sandbox, address: str) -> dict[str, object]:
    return sandbox.brevo.contact(address)["attributes"]


def change(env: dict[str, str], table: str, statement: str) -> None:
    with warehouse_client(env) as client:
        client.execute(statement.format(table=table))


def attributes_block(text: str) -> str:
    return "attributes:\n" + textwrap.indent(textwrap.dedent(text), "  ")


# Values that a careless encoder turns into "nothing to send".


@pytest.fixture
def values_table(sandbox_env) -> str:
    rows = [f"('{ANA}', 120, TRUE, 'x')"]
    return create_table(sandbox_env, "VALS", rows, "EMAIL, LTV, VIP, NOTE")


VALUES_MAPPING = {"email": "email", "ltv": "LTV", "vip": "VIP", "note": "NOTE"}


def _values_query(table: str) -> str:
    return f"SELECT email, ltv, vip, note FROM {table}\n"  # noqa: S608


def test_zero_false_and_empty_text_replace_what_brevo_holds(
    write_project, values_table, sandbox, sandbox_env, instance
):
    project = write_project(VALUES_MAPPING, _values_query(values_table))
    first = project.run(instance)
    before = attributes(sandbox, ANA)

    change(
        sandbox_env,
        values_table,
        "UPDATE {table} SET LTV = 0, VIP = FALSE, NOTE = ''",
    )
    second = project.run(instance)

    assert sent(first) == (1, 0, 0) and sent(second) == (0, 1, 0)
    assert before == {"LTV": 120, "VIP": True, "NOTE": "x"}
    # Brevo holds an empty text as no value: the import erased it.
    assert attributes(sandbox, ANA) == {"LTV": 0, "VIP": False}


def test_batch_updates_send_zero_false_and_empty_text_too(
    write_project, values_table, sandbox, sandbox_env, instance
):
    with brevo_api(sandbox) as api:
        api.post("/contacts", json={"email": ANA}).raise_for_status()
    project = write_project(
        VALUES_MAPPING, _values_query(values_table), sync="mode: update"
    )
    first = project.run(instance)

    change(
        sandbox_env,
        values_table,
        "UPDATE {table} SET LTV = 0, VIP = FALSE, NOTE = ''",
    )
    second = project.run(instance)

    assert sent(first) == (1, 0, 0) and sent(second) == (0, 1, 0)
    assert attributes(sandbox, ANA) == {"LTV": 0, "VIP": False}


# NULL policies


@pytest.fixture
def nulls_table(sandbox_env) -> str:
    rows = [
        f"('{ANA}', 'kept', 'cleared', NULL::VARCHAR)",
        f"('{BO}', 'kept', 'cleared', 'first')",
    ]
    return create_table(sandbox_env, "NULLS", rows, "EMAIL, KEEP, WIPE, ONCE")


NULLS_MAPPING = {"email": "email", "keep": "KEEP", "wipe": "WIPE", "once": "ONCE"}
POLICIES = attributes_block(
    """\
    KEEP: {null_policy: skip}
    WIPE: {null_policy: clear}
    ONCE: {null_policy: set_if_empty}
    """
)


def test_a_null_follows_its_attributes_policy_across_runs(
    write_project, nulls_table, sandbox, sandbox_env, instance
):
    query = f"SELECT email, keep, wipe, once FROM {nulls_table}\n"  # noqa: S608
    project = write_project(NULLS_MAPPING, query, models=POLICIES)
    first = project.run(instance)

    change(sandbox_env, nulls_table, "UPDATE {table} SET KEEP = NULL, WIPE = NULL")
    second = project.run(instance)
    after_nulls = {a: attributes(sandbox, a) for a in (ANA, BO)}

    # ONCE is filled for Ana now (she had none); Bo's stays his first value.
    change(sandbox_env, nulls_table, "UPDATE {table} SET ONCE = 'second'")
    third = project.run(instance)
    change(sandbox_env, nulls_table, "UPDATE {table} SET ONCE = 'third'")
    fourth = project.run(instance)
    change(sandbox_env, nulls_table, "UPDATE {table} SET KEEP = 'new', ONCE = NULL")
    fifth = project.run(instance)

    assert sent(first) == (2, 0, 0)
    assert after_nulls == {
        ANA: {"KEEP": "kept"},
        BO: {"KEEP": "kept", "ONCE": "first"},
    }
    assert sent(second) == (0, 2, 0)
    assert sent(third) == (0, 1, 1)  # only Ana's ONCE went from NULL to a value
    assert sent(fourth) == (0, 0, 2)  # a filled ONCE changing sends nothing
    assert sent(fifth) == (0, 2, 0)
    assert attributes(sandbox, ANA) == {"KEEP": "new", "ONCE": "second"}
    assert attributes(sandbox, BO) == {"KEEP": "new", "ONCE": "first"}


def test_changing_a_null_policy_sends_every_row_again(
    write_project, nulls_table, sandbox, instance
):
    query = f"SELECT email, keep, wipe, once FROM {nulls_table}\n"  # noqa: S608
    project = write_project(NULLS_MAPPING, query)
    first = project.run(instance)
    second = project.run(instance)

    wiping = attributes_block("ONCE: {null_policy: clear}\n")
    changed = write_project(NULLS_MAPPING, query, models=wiping)
    changed.path.write_text(
        changed.path.read_text().replace(changed.state_schema, project.state_schema)
    )
    third = changed.run(instance)

    assert (sent(first), sent(second)) == ((2, 0, 0), (0, 0, 2))
    assert sent(third) == (0, 2, 0)
    assert "ONCE" not in attributes(sandbox, ANA)
    assert attributes(sandbox, BO)["ONCE"] == "first"


# Dates and timestamps


@pytest.fixture
def days_table(sandbox_env) -> str:
    # In Asia/Kolkata (UTC+05:30) all three fall on 2 March 2026; the instant
    # of TZ is still 1 March in UTC.
    rows = [
        f"('{ANA}', '2026-03-02'::DATE, '2026-03-02 23:30:00'::TIMESTAMP_NTZ, "
        "'2026-03-01 20:00:00 +00:00'::TIMESTAMP_TZ)"
    ]
    return create_table(sandbox_env, "DAYS", rows, "EMAIL, D, NTZ, TZ")


DAYS_MAPPING = {"email": "email", "d": "SIGNUP", "ntz": "LAST_SEEN", "tz": "PAID_ON"}


def test_a_date_and_both_kinds_of_timestamp_arrive_as_the_configured_zones_day(
    write_project, days_table, sandbox, sandbox_env, instance
):
    query = f"SELECT email, d, ntz, tz FROM {days_table}\n"  # noqa: S608
    project = write_project(DAYS_MAPPING, query, timezone="Asia/Kolkata")
    first = project.run(instance)
    created = attributes(sandbox, ANA)

    # Later the same day in Kolkata: Brevo would show the same day.
    change(
        sandbox_env,
        days_table,
        "UPDATE {table} SET TZ = '2026-03-02 18:00:00 +00:00'::TIMESTAMP_TZ, "
        "NTZ = '2026-03-02 00:10:00'::TIMESTAMP_NTZ",
    )
    same_day = project.run(instance)
    # 18:40 UTC is 00:10 on the 3rd in Kolkata.
    change(
        sandbox_env,
        days_table,
        "UPDATE {table} SET TZ = '2026-03-02 18:40:00 +00:00'::TIMESTAMP_TZ",
    )
    next_day = project.run(instance)

    assert created == {
        "SIGNUP": "2026-03-02",
        "LAST_SEEN": "2026-03-02",
        "PAID_ON": "2026-03-02",
    }
    assert sent(first) == (1, 0, 0)
    assert sent(same_day) == (0, 0, 1)
    assert sent(next_day) == (0, 1, 0)
    assert attributes(sandbox, ANA)["PAID_ON"] == "2026-03-03"
    kinds = {a["name"]: a["type"] for a in sandbox.brevo.attributes()}
    assert [kinds[n] for n in ("SIGNUP", "LAST_SEEN", "PAID_ON")] == ["date"] * 3


# Category attributes


@pytest.fixture
def segments_table(sandbox_env) -> str:
    rows = [f"('{ANA}', 'Champions')", f"('{BO}', 'Gold')"]
    return create_table(sandbox_env, "SEGMENTS", rows, "EMAIL, SEGMENT")


SEGMENTS_MAPPING = {"email": "email", "segment": "SEGMENT"}
CATEGORY = attributes_block(
    """\
    SEGMENT:
      type: category
      values: [Champions, Loyal, At risk]
    """
)


def test_a_category_attribute_is_created_and_takes_only_its_values(
    write_project, segments_table, sandbox, sandbox_env, instance
):
    query = f"SELECT email, segment FROM {segments_table}\n"  # noqa: S608
    project = write_project(SEGMENTS_MAPPING, query, models=CATEGORY)
    first = project.run(instance)
    bo_after_first = sandbox.brevo.contact(BO)

    change(sandbox_env, segments_table, "UPDATE {table} SET SEGMENT = 'At risk'")
    second = project.run(instance)

    [segment] = [a for a in sandbox.brevo.attributes() if a["name"] == "SEGMENT"]
    assert segment["category"] == "category"
    assert segment["enumeration"] == [
        {"value": 1, "label": "Champions"},
        {"value": 2, "label": "Loyal"},
        {"value": 3, "label": "At risk"},
    ]
    counts = sync_counts(first)
    assert (counts["created"], counts["rejected"]) == (1, 1)
    [reason] = counts["rejection_reasons"]
    assert "column SEGMENT: a value that is not one of attributes.SEGMENT.values" in (
        reason
    )
    assert "Gold" not in reason  # the row's value stays in the warehouse
    assert bo_after_first is None
    assert sent(second) == (1, 1, 0)
    assert attributes(sandbox, ANA) == {"SEGMENT": "At risk"}
    assert attributes(sandbox, BO) == {"SEGMENT": "At risk"}


def test_a_category_brevo_already_has_is_sent_in_brevos_own_numbering(
    write_project, segments_table, sandbox, sandbox_env, instance
):
    enumeration = [{"value": 7, "label": "Loyal"}, {"value": 9, "label": "Champions"}]
    with brevo_api(sandbox) as api:
        api.post(
            "/contacts/attributes/category/SEGMENT",
            json={"type": "category", "enumeration": enumeration},
        ).raise_for_status()
    change(sandbox_env, segments_table, "UPDATE {table} SET SEGMENT = 'Champions'")
    query = f"SELECT email, segment FROM {segments_table}\n"  # noqa: S608
    project = write_project(SEGMENTS_MAPPING, query, models=CATEGORY)

    first = project.run(instance)
    change(sandbox_env, segments_table, "UPDATE {table} SET SEGMENT = 'At risk'")
    second = project.run(instance)

    assert sent(first) == (2, 0, 0)
    assert attributes(sandbox, ANA) == {"SEGMENT": "Champions"}
    counts = sync_counts(second)
    assert (counts["updated"], counts["rejected"]) == (0, 2)
    [reason] = counts["rejection_reasons"]
    assert "Brevo's category attribute SEGMENT has no option 'At risk'" in reason
    assert attributes(sandbox, ANA) == {"SEGMENT": "Champions"}
