"""Contact keys of each kind: normalized alike in the warehouse and in Python,
checked, carried in import rows, and used for list changes.

The SQL normalization runs in the Snowflake sandbox (fakesnow on DuckDB) and the
import rows go to the Brevo sandbox, both over HTTP on 127.0.0.1.
"""

import secrets
from collections.abc import Iterator
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tajo_assets.brevo import BrevoClient
from tajo_assets.config import FieldMapping
from tajo_assets.sandbox.brevo import BrevoSandbox, BrevoSandboxSettings
from tajo_assets.sandbox.server import ServerThread
from tajo_assets.snowflake import Column
from tajo_assets.sync.keys import (
    KINDS,
    KeyKindNotSupported,
    import_entry,
    key_problem,
    key_sql,
    list_change_arguments,
    mask_email,
    mask_key,
    normalize_email,
    normalize_key,
)
from tajo_assets.sync.mapping import Rejection, resolve_mapping
from tajo_assets_tests.sandbox.snowflake_fixtures import (  # noqa: F401 (fixture)
    SqlApi,
    shared_snowflake,
)

UTC = ZoneInfo("UTC")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("ann@example.com", "ann@example.com", id="plain"),
        pytest.param(
            "  Ann.Lee@Example.COM \t", "ann.lee@example.com", id="trim-lower"
        ),
        pytest.param(
            "a+tag@sub.example.co.uk", "a+tag@sub.example.co.uk", id="plus-sub"
        ),
        pytest.param("ann.example.com", None, id="no-at"),
        pytest.param("ann@@example.com", None, id="two-ats"),
        pytest.param("ann@", None, id="no-domain"),
        pytest.param("ann@example", None, id="no-dot-in-domain"),
        pytest.param("ann lee@example.com", None, id="inner-space"),
        pytest.param(".ann@example.com", None, id="leading-dot"),
        pytest.param("an..n@example.com", None, id="double-dot"),
        pytest.param("", None, id="empty"),
        pytest.param(None, None, id="null"),
        pytest.param(42, None, id="not-text"),
        pytest.param("a" * 250 + "@example.com", None, id="too-long"),
    ],
)
def test_normalize_email(raw, expected):
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("ann.lee@example.com", "a***@example.com", id="email"),
        pytest.param("not-an-email", "n***", id="no-at"),
        pytest.param("  ", "<empty>", id="blank"),
        pytest.param(None, "<empty>", id="null"),
    ],
)
def test_mask_email_keeps_only_the_first_letter_and_domain(raw, expected):
    assert mask_email(raw) == expected


# -- normalization -----------------------------------------------------------------

SAMPLES = {
    "email": [
        "Ann@Example.COM",
        "  ann@example.com\t",
        "\xa0Bo@Example.com\r\n",
        "ann lee@example.com",
        "   ",
    ],
    "ext_id": ["C-1", "  c-1 ", "\tCUST 42\n", "0042", "a\tb", ""],
    "sms": [
        "+33612345678",
        "+33 6 12 34 56 78",
        "0033 6.12.34.56.78",
        "+44 (0)20 7946 0958",
        "  +1 (415) 555-0100\t",
        "06 12 34 56 78",
        "+33\xa0612345678",
        "+33 6 12 34 56 78 ext. 5",
        "00",
    ],
}


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        pytest.param("email", " Ann@Example.COM\t", "ann@example.com", id="email"),
        pytest.param("ext_id", "  C-1 \n", "C-1", id="ext-id-keeps-case"),
        pytest.param("ext_id", 42, "42", id="ext-id-number"),
        pytest.param("ext_id", Decimal(42), "42", id="ext-id-decimal"),
        pytest.param("sms", "+33 6 12 34 56 78", "+33612345678", id="sms-spaces"),
        pytest.param("sms", "0033-6.12(34)5678", "+33612345678", id="sms-00"),
        pytest.param("sms", "+44 (0)20 7946 0958", "+442079460958", id="sms-trunk"),
        pytest.param("sms", "06 12 34 56 78", "0612345678", id="sms-national"),
        pytest.param("email", "   ", None, id="blank"),
        pytest.param("sms", None, None, id="null"),
        pytest.param("ext_id", True, None, id="boolean"),
        pytest.param("ext_id", 1.5, None, id="float"),
    ],
)
def test_normalize_key(kind, raw, expected):
    assert normalize_key(kind, raw) == expected


def _warehouse_keys(api: SqlApi, kind: str, raws: list[str]) -> list[str | None]:
    """`key_sql` applied by the Snowflake sandbox to each raw value, in order."""
    samples = " UNION ALL ".join(
        f"SELECT {number} AS N, ? AS RAW" for number in range(len(raws))
    )
    # The values are bound; the SQL text is the key expression under test.
    statement = (
        f"SELECT {key_sql(kind, 'RAW')} AS CONTACT_KEY "  # noqa: S608
        f"FROM ({samples}) AS samples ORDER BY N"
    )
    bindings = {
        str(number): {"type": "TEXT", "value": raw}
        for number, raw in enumerate(raws, start=1)
    }
    response = api.submit(statement, bindings=bindings, **api.context)
    assert response.status_code == 200, response.text
    return [row[0] for row in response.json()["data"]]


@pytest.mark.parametrize("kind", KINDS)
def test_the_warehouse_normalizes_keys_as_python_does(shared_snowflake, kind):  # noqa: F811
    keys = _warehouse_keys(shared_snowflake, kind, SAMPLES[kind])

    # TRIM leaves '' where Python says there is no key; the plan treats both
    # as an empty key.
    assert [key or None for key in keys] == [
        normalize_key(kind, raw) for raw in SAMPLES[kind]
    ]


def test_sms_keys_from_the_warehouse_are_in_international_format(shared_snowflake):  # noqa: F811
    raws = ["+33 6 12 34 56 78", "0033 (0)6.12.34.56.78", "  +1 (415) 555-0100\t"]

    keys = _warehouse_keys(shared_snowflake, "sms", raws)

    assert keys == ["+33612345678", "+33612345678", "+14155550100"]
    assert [key_problem("sms", key) for key in keys] == [None, None, None]


@pytest.mark.parametrize("kind", KINDS)
def test_a_null_identifier_gives_a_null_key(shared_snowflake, kind):  # noqa: F811
    statement = f"SELECT {key_sql(kind, 'CAST(NULL AS VARCHAR)')} AS CONTACT_KEY"

    response = shared_snowflake.submit(statement, **shared_snowflake.context)

    assert response.json()["data"] == [[None]]


# -- validation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "key", "expected"),
    [
        pytest.param("email", "ann@example.com", None, id="email"),
        pytest.param("email", "ann@example", "invalid email address", id="bad-email"),
        pytest.param("email", "Ann@example.com", "invalid email address", id="case"),
        pytest.param("ext_id", "C-1", None, id="ext-id"),
        pytest.param("ext_id", "CUST 42", None, id="ext-id-with-space"),
        pytest.param(
            "ext_id",
            "C-1\nC-2",
            "ext_id contains a line break, tab or other control character",
            id="ext-id-line-break",
        ),
        pytest.param("sms", "+33612345678", None, id="sms"),
        pytest.param("sms", "+1234567", None, id="sms-7-digits"),
        pytest.param("sms", "+123456789012345", None, id="sms-15-digits"),
        pytest.param(
            "sms",
            "0612345678",
            "SMS number without a country code: write it in international "
            "format, + (or 00) and the country code, e.g. +33612345678",
            id="sms-national",
        ),
        pytest.param(
            "sms",
            "+123456",
            "not an SMS number in international format: expected + then 7 to 15 "
            "digits (E.164), the country code first, e.g. +33612345678",
            id="sms-too-short",
        ),
        pytest.param("sms", "+1234567890123456", "not an SMS", id="sms-too-long"),
        pytest.param("sms", "+0612345678", "not an SMS", id="sms-country-zero"),
        pytest.param("sms", "+336123456785ext", "not an SMS", id="sms-letters"),
        pytest.param("sms", "", "empty key", id="empty"),
        pytest.param("ext_id", None, "empty key", id="null"),
    ],
)
def test_key_problem_says_what_was_expected(kind, key, expected):
    problem = key_problem(kind, key)

    if expected is None:
        assert problem is None
    else:
        assert problem is not None and problem.startswith(expected)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: key_sql("phone", "C"), id="key_sql"),
        pytest.param(lambda: key_problem("EMAIL", "a@b.co"), id="key_problem"),
        pytest.param(lambda: normalize_key("whatsapp", "+33"), id="normalize_key"),
        pytest.param(lambda: import_entry("id", "1", {}), id="import_entry"),
    ],
)
def test_an_unknown_kind_is_refused_naming_the_kinds(call):
    with pytest.raises(ValueError, match="expected one of email, ext_id, sms"):
        call()


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        pytest.param("email", "ann@example.com", "a***@example.com", id="email"),
        pytest.param("sms", "+33612345678", "+33***78", id="sms"),
        pytest.param("sms", "+3361", "***", id="sms-short"),
        pytest.param("ext_id", " C-1 ", "C-1", id="ext-id-shown"),
        pytest.param("sms", None, "<empty>", id="null"),
    ],
)
def test_mask_key_hides_emails_and_numbers(kind, raw, expected):
    assert mask_key(kind, raw) == expected


# -- import rows and list changes --------------------------------------------------

COLUMNS = [Column("CUSTOMER_KEY", "text"), Column("FIRST_NAME", "text")]


def _bound(kind: str):
    mapping = FieldMapping({"customer_key": kind, "first_name": "FIRSTNAME"})
    return resolve_mapping(mapping, COLUMNS, "query q", UTC)


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        pytest.param(
            "email",
            " Ann@Example.com",
            {"email": "ann@example.com", "attributes": {"FIRSTNAME": "Ann"}},
            id="email",
        ),
        pytest.param(
            "ext_id",
            " C-1 ",
            {"attributes": {"EXT_ID": "C-1", "FIRSTNAME": "Ann"}},
            id="ext-id",
        ),
        pytest.param(
            "sms",
            "0033 6 12 34 56 78",
            {"attributes": {"SMS": "+33612345678", "FIRSTNAME": "Ann"}},
            id="sms",
        ),
    ],
)
def test_each_kind_of_key_travels_where_the_import_reads_it(kind, raw, expected):
    assert _bound(kind).to_contact((raw, "Ann")) == expected


def test_a_row_with_a_bad_sms_key_is_rejected_with_the_value_read():
    rejection = _bound("sms").to_contact(("06 12 34 56 78", "Ann"))

    assert rejection == Rejection(
        "06 12 34 56 78", key_problem("sms", "0612345678") or "", "invalid_key"
    )
    assert rejection.reason.startswith("SMS number without a country code")


def test_list_changes_name_members_by_email_or_ext_id():
    assert list_change_arguments("email", ["a@example.com"]) == {
        "emails": ["a@example.com"]
    }
    assert list_change_arguments("ext_id", ["C-1", "C-2"]) == {
        "ext_ids": ["C-1", "C-2"]
    }


def test_list_changes_by_sms_number_are_refused_with_what_to_do():
    with pytest.raises(KeyKindNotSupported) as raised:
        list_change_arguments("sms", ["+33612345678"])

    message = str(raised.value)
    assert "by email, ext_id or contact id, not by SMS number" in message
    assert "look the contacts' ids up and pass ids= instead" in message
    assert isinstance(raised.value, ValueError)


@pytest.fixture
def brevo() -> Iterator[tuple[BrevoSandbox, BrevoClient]]:
    """A Brevo sandbox without rate limits, and the project's client for it."""
    api_key = f"xkeysib-{secrets.token_hex(32)}"
    settings = BrevoSandboxSettings(api_keys={api_key}, tier=None)
    sandbox = BrevoSandbox(settings)
    with (
        ServerThread(sandbox.app, name="brevo-keys") as server,
        BrevoClient(api_key, f"{server.url}/v3") as client,
    ):
        yield sandbox, client
    sandbox.reset()


@pytest.mark.parametrize(
    ("kind", "raws", "bad_row"),
    [
        pytest.param("ext_id", ["C-1", " C-2", "C-3 ", "c-3"], None, id="ext-id"),
        pytest.param(
            "sms",
            ["+33612345671", "0033 6 12 34 56 72", "+33 6 12 34 56 73", "+3361"],
            4,
            id="sms",
        ),
    ],
)
def test_rows_keyed_by_ext_id_or_sms_land_on_the_contacts_they_name(
    brevo, kind, raws, bad_row
):
    sandbox, client = brevo
    audience = client.find_or_create_list("Audience", "Warehouse audiences")
    body = [_bound(kind).to_contact((raw, f"Name{n}")) for n, raw in enumerate(raws)]
    # Brevo checks the SMS number itself: send the bad one to see it rejected.
    if bad_row is not None:
        body[bad_row - 1] = import_entry(kind, raws[bad_row - 1], {})

    process_id = client.import_contacts(body, [audience.id])
    result = client.wait_for_import(process_id, deadline_s=30, first_poll_s=0.05)

    attribute = {"ext_id": "EXT_ID", "sms": "SMS"}[kind]
    sent = [row["attributes"][attribute] for row in body]
    stored = {
        c["ext_id"] if kind == "ext_id" else c["attributes"]["SMS"]: c
        for c in sandbox.contacts()
    }
    accepted = [key for n, key in enumerate(sent, start=1) if n != bad_row]
    assert sorted(stored) == sorted(accepted)
    assert all(c["email"] is None for c in stored.values())
    assert [(r.row, r.identifier) for r in result.rejected] == (
        [] if bad_row is None else [(bad_row, raws[bad_row - 1])]
    )


def test_members_keyed_by_ext_id_are_removed_by_their_ext_ids(brevo):
    sandbox, client = brevo
    audience = client.find_or_create_list("Audience", "Warehouse audiences")
    body = [_bound("ext_id").to_contact((f"C-{n}", "Ann")) for n in (1, 2, 3)]
    process_id = client.import_contacts(body, [audience.id])
    client.wait_for_import(process_id, deadline_s=30, first_poll_s=0.05)

    removed = client.remove_contacts_from_list(
        audience.id, **list_change_arguments("ext_id", ["C-1", "C-3"])
    )

    assert sorted(removed.success) == ["C-1", "C-3"]
    [members] = [lst["contactIds"] for lst in sandbox.lists()]
    ids = {c["ext_id"]: c["id"] for c in sandbox.contacts()}
    assert members == [ids["C-2"]]


def test_an_sms_keyed_member_can_leave_a_list_through_its_contact_id(brevo):
    # What an engine would do for SMS keys: look the contact id up by phone_id,
    # then remove by ids (list changes take no SMS numbers).
    sandbox, client = brevo
    audience = client.find_or_create_list("Audience", "Warehouse audiences")
    body = [_bound("sms").to_contact((f"+3361234567{n}", "Ann")) for n in (1, 2)]
    process_id = client.import_contacts(body, [audience.id])
    client.wait_for_import(process_id, deadline_s=30, first_poll_s=0.05)

    leaving = client.get_contact("+33612345671", identifier_type="phone_id")
    removed = client.remove_contacts_from_list(audience.id, ids=[leaving.id])

    assert removed.success == (leaving.id,)
    [members] = [lst["contactIds"] for lst in sandbox.lists()]
    assert leaving.id not in members and len(members) == 1
