"""The key checks of syncs keyed by ext_id or SMS number, over the sandbox.

The warehouse's counts must be the sync's own: a key the checks call repeated,
empty or malformed is one `tajo_assets.sync.keys` would treat the same way.
"""

import pytest

from tajo_assets.checks.audience import KEYS_CHECK, key_format_check
from tajo_assets.checks.profile import SnapshotProfiler
from tajo_assets.checks.row_count import ROW_COUNT_CHECK
from tajo_assets.sync.keys import key_problem, normalize_key
from tajo_assets_tests.assets.conftest import warehouse_client
from tajo_assets_tests.assets.test_sync_scenarios import create_table
from tajo_assets_tests.checks.test_audience_checks import (
    assert_sync_blocked,
    evaluations,
    metadata,
)

RAW_KEYS = [
    "0033 6 12 34 56 78",
    "+33 6 12 34 56 78",
    "+33 (0)6 12-34.56.78",
    "06 12 34 56 78",
    "+44 (0)20 7946 0958",
    "\t+1 (555) 010-9999\xa0",
    "+0 123 456 789",
    "+33 6 12 34 56 78 90 12 34",
    "Ann@Example.com ",
    "ann@example.com",
    "C-1",
    "c-1",
    " C-1\n",
    "",
    "   ",
    None,
]


@pytest.fixture(scope="module")
def raw_keys_table(sandbox) -> str:
    """A table whose RAW column holds every one of RAW_KEYS."""
    rows = [f"({i}, {_literal(raw)})" for i, raw in enumerate(RAW_KEYS)]
    return create_table(sandbox.environment(), "RAW_KEYS", rows, "ID, RAW")


def _literal(raw: str | None) -> str:
    return "NULL" if raw is None else "'" + raw.replace("'", "''") + "'"


def expected_counts(kind: str) -> tuple[int, int, int, int | None]:
    """Rows, empty keys, repeats and well-formed keys, as the sync sees them."""
    keys = [normalize_key(kind, raw) for raw in RAW_KEYS]
    present = [key for key in keys if key is not None]
    valid = sum(1 for key in present if key_problem(kind, key) is None)
    return (
        len(keys),
        len(keys) - len(present),
        len(present) - len(set(present)),
        None if kind == "ext_id" else valid,
    )


@pytest.mark.parametrize("kind", ["email", "ext_id", "sms"])
def test_the_warehouse_counts_keys_as_the_sync_normalizes_them(
    kind, raw_keys_table, sandbox
):
    with warehouse_client(sandbox.environment()) as client:
        profile = SnapshotProfiler(client, raw_keys_table).keys("RAW", kind)

    counted = (
        profile.row_count,
        profile.null_keys,
        profile.duplicate_keys,
        profile.valid_keys,
    )
    assert counted == expected_counts(kind)


def test_the_expected_counts_are_the_ones_worked_out_by_hand():
    # Guards the parity test above against a normalization that does nothing.
    assert expected_counts("sms") == (16, 3, 3, 5)
    assert expected_counts("ext_id") == (16, 3, 1, None)
    assert expected_counts("email") == (16, 3, 3, 2)


@pytest.mark.parametrize(
    ("kind", "sample"),
    [
        # "C-1" is "C1" as a phone number: too short to show any of it.
        ("sms", ["+33***78 x3", "*** x2"]),
        ("ext_id", ["C-1 x2"]),
        ("email", ["c*** x3", "a***@example.com x2"]),
    ],
)
def test_the_sample_of_repeated_keys_is_masked_for_its_kind(
    kind, sample, raw_keys_table, sandbox
):
    with warehouse_client(sandbox.environment()) as client:
        profile = SnapshotProfiler(client, raw_keys_table).keys("RAW", kind)

    assert list(profile.duplicate_sample) == sample


RATE_METADATA = (
    "rows",
    "valid_sms_numbers",
    "invalid_sms_numbers",
    "valid_sms_rate",
    "min_valid_email_rate",
)


def people_table(env: dict[str, str], phones: list[str]) -> str:
    rows = [f"({i}, '{phone}', 'C-{i}')" for i, phone in enumerate(phones, 1)]
    return create_table(env, "PEOPLE", rows, "ID, PHONE, CUSTOMER_ID")


def test_national_phone_numbers_block_an_sms_keyed_sync_with_the_fix(
    write_project, sandbox_env, sandbox, instance
):
    national = [f"06 12 34 56 {i:02d}" for i in range(1, 9)]
    table = people_table(sandbox_env, [*national, "+33 6 12 34 56 99", "+4420794609"])
    query = f"SELECT id, phone FROM {table}\n"  # noqa: S608
    project = write_project({"phone": "sms", "id": "CUSTOMER_ID"}, query)

    result = project.run(instance)

    assert_sync_blocked(result)
    assert sandbox.brevo.contacts() == []
    checks = evaluations(result)
    assert set(checks) == {
        "mapped_columns_present",
        KEYS_CHECK,
        "valid_sms_rate",
        ROW_COUNT_CHECK,
    }
    rate = checks[key_format_check("sms")]
    assert not rate.passed
    found = metadata(rate)
    assert {name: found[name] for name in RATE_METADATA} == {
        "rows": 10,
        "valid_sms_numbers": 2,
        "invalid_sms_numbers": 8,
        "valid_sms_rate": 0.2,
        "min_valid_email_rate": 0.95,
    }
    assert "2 of 10 rows (20.00%) have an SMS number" in rate.description
    assert "with their country code" in rate.description
    # National numbers are not repeats of each other, nor empty.
    assert checks[KEYS_CHECK].passed


def test_ext_ids_repeated_once_trimmed_block_the_sync_but_case_tells_them_apart(
    write_project, sandbox_env, sandbox, instance
):
    rows = ["('C-1', 'a')", "(' C-1 ', 'b')", "('c-1', 'c')", "('C-2', 'd')"]
    table = create_table(sandbox_env, "IDS", rows, "CUSTOMER_ID, FIRST_NAME")
    query = f"SELECT customer_id, first_name FROM {table}\n"  # noqa: S608
    project = write_project({"customer_id": "ext_id", "first_name": "FIRSTNAME"}, query)

    result = project.run(instance)

    assert_sync_blocked(result)
    keys = evaluations(result)[KEYS_CHECK]
    assert not keys.passed
    assert metadata(keys)["duplicate_keys"] == 1
    assert metadata(keys)["duplicate_sample"] == ["C-1 x2"]
    assert "1 rows repeat another row's CUSTOMER_ID once trimmed (case kept)" in (
        keys.description
    )
    format_check = evaluations(result)["valid_ext_id_rate"]
    assert format_check.passed
    assert "ext_id keys have no format rule" in format_check.description


def test_the_format_check_is_named_and_described_for_the_kind_of_key(write_project):
    query = "SELECT customer_id, first_name FROM customer_segments\n"
    defs = write_project({"customer_id": "ext_id"}, query).definitions()

    [checks_def] = defs.asset_checks
    specs = {spec.name: spec for spec in checks_def.check_specs}

    assert set(specs) == {
        "mapped_columns_present",
        KEYS_CHECK,
        "valid_ext_id_rate",
        ROW_COUNT_CHECK,
    }
    assert "compared trimmed (case kept)" in specs[KEYS_CHECK].description
    assert "Always passes" in specs["valid_ext_id_rate"].description
