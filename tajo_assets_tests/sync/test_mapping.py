from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tajo_assets.brevo import Attribute
from tajo_assets.config import FieldMapping
from tajo_assets.config.attributes import AttributeOptions
from tajo_assets.snowflake import Column
from tajo_assets.sync.contacts import _category_options
from tajo_assets.sync.mapping import (
    MappingError,
    Rejection,
    resolve_mapping,
    type_mismatch,
)

UTC = ZoneInfo("UTC")
COLUMNS = [
    Column("EMAIL", "text"),
    Column("LTV_SCORE", "fixed", scale=2),
    Column("LAST_ORDER", "date"),
    Column("VIP", "boolean"),
]
MAPPING = FieldMapping(
    {
        "email": "email",
        "ltv_score": "LTV_SCORE",
        "last_order": "LAST_ORDER_DATE",
        "vip": "VIP",
    }
)


def resolved(mapping=MAPPING):
    return resolve_mapping(mapping, COLUMNS, "query customer_segments", UTC)


def test_a_missing_column_names_itself_and_the_columns_available():
    mapping = FieldMapping({"email": "email", "churn": "CHURN_RISK"})

    with pytest.raises(MappingError) as raised:
        resolved(mapping)

    assert str(raised.value) == (
        "field_mapping names column CHURN, but query customer_segments returns "
        "EMAIL, LTV_SCORE, LAST_ORDER, VIP; fix the mapping or the query"
    )


def test_columns_match_case_insensitively_and_types_come_from_snowflake():
    assert resolved().attribute_types() == {
        "LTV_SCORE": "float",
        "LAST_ORDER_DATE": "date",
        "VIP": "boolean",
    }


def test_a_row_becomes_an_import_entry_without_its_identifier_in_attributes():
    row = (" Ann@Example.com", Decimal("10.50"), date(2026, 1, 2), False)

    assert resolved().to_contact(row) == {
        "email": "ann@example.com",
        "attributes": {
            "LTV_SCORE": 10.5,
            "LAST_ORDER_DATE": "2026-01-02",
            "VIP": False,
        },
    }


def test_null_is_left_out_so_brevo_keeps_its_value():
    contact = resolved().to_contact(("ann@example.com", None, None, None))

    assert contact == {"email": "ann@example.com", "attributes": {}}


def test_an_invalid_email_is_rejected_with_the_reason():
    row = ("not-an-email", Decimal(1), None, True)

    assert resolved().to_contact(row) == Rejection(
        "not-an-email", "invalid email address", "invalid_key"
    )


def test_a_value_brevo_cannot_hold_rejects_the_row_naming_the_column():
    columns = [Column("EMAIL", "text"), Column("SCORE", "real")]
    mapping = FieldMapping({"email": "email", "score": "SCORE"})
    bound = resolve_mapping(mapping, columns, "query q", UTC)

    rejection = bound.to_contact(("ann@example.com", float("nan")))

    assert rejection == Rejection(
        "ann@example.com",
        "column SCORE: nan is not a number Brevo can store",
        "invalid_value",
    )


def test_a_null_email_is_rejected_with_an_empty_key():
    rejection = resolved().to_contact((None, Decimal(1), None, True))

    assert rejection == Rejection("", "empty key", "invalid_key")


def test_a_misspelt_column_gets_a_suggestion():
    mapping = FieldMapping({"email": "email", "ltv_scor": "LTV_SCORE"})

    with pytest.raises(MappingError, match=r"\(did you mean LTV_SCOR -> LTV_SCORE\?\)"):
        resolved(mapping)


POLICY_COLUMNS = [
    Column("EMAIL", "text"),
    Column("KEEP", "text"),
    Column("WIPE", "fixed"),
    Column("ONCE", "text"),
    Column("TIER", "text"),
    Column("TAJO_FILLED", "text"),
]
POLICY_MAPPING = FieldMapping(
    {"email": "email", "keep": "KEEP", "wipe": "WIPE", "once": "ONCE", "tier": "TIER"}
)
POLICY_OPTIONS = {
    "WIPE": AttributeOptions(null_policy="clear"),
    "ONCE": AttributeOptions(null_policy="set_if_empty"),
    "TIER": AttributeOptions(type="category", values=("Gold", "Silver")),
}


def with_policies(categories=None):
    return resolve_mapping(
        POLICY_MAPPING,
        POLICY_COLUMNS,
        "query q",
        UTC,
        options=POLICY_OPTIONS,
        categories=categories,
    )


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        pytest.param(
            ("a@example.com", None, None, None, None, None),
            {"WIPE": ""},
            id="skip-leaves-out-clear-empties",
        ),
        pytest.param(
            ("a@example.com", "k", 0, "first", "Silver", None),
            {"KEEP": "k", "WIPE": 0, "ONCE": "first", "TIER": 2},
            id="values-and-category-number",
        ),
        pytest.param(
            ("a@example.com", None, 5, "again", None, "|ONCE|"),
            {"WIPE": 5},
            id="set-if-empty-already-filled",
        ),
        pytest.param(
            ("a@example.com", None, 5, "again", None, "|ONCEMORE|"),
            {"WIPE": 5, "ONCE": "again"},
            id="set-if-empty-another-name-filled",
        ),
    ],
)
def test_each_attribute_follows_its_options(row, expected):
    assert with_policies().to_contact(row)["attributes"] == expected


def test_category_types_and_labels_come_from_the_configuration():
    assert with_policies().attribute_types()["TIER"] == "category"
    brevo_numbering = with_policies(categories={"TIER": {"Gold": 7}})

    row = ("a@example.com", None, None, None, "Gold", None)
    assert brevo_numbering.to_contact(row)["attributes"] == {"WIPE": "", "TIER": 7}
    silver = brevo_numbering.to_contact((*row[:4], "Silver", None))
    assert silver == Rejection(
        "a@example.com",
        "column TIER: Brevo's category attribute TIER has no option 'Silver'; add "
        "it to the attribute in Brevo",
        "invalid_value",
    )


def test_a_value_outside_the_category_rejects_the_row_without_repeating_it():
    rejection = with_policies().to_contact(
        ("a@example.com", None, None, None, "Platinum", None)
    )

    assert rejection == Rejection(
        "a@example.com",
        "column TIER: a value that is not one of attributes.TIER.values (Gold, "
        "Silver); add it there, or fix the column",
        "invalid_value",
    )


def test_a_category_brevo_lists_with_text_values_is_sent_its_value_text():
    listed = Attribute.model_validate(
        {
            "name": "LANGUAGE",
            "category": "category",
            "type": "text",
            "enumeration": [
                {"label": "English", "value": 0, "valueStr": "en"},
                {"label": "Gold", "value": 4, "valueStr": "4"},
                {"label": "Old", "value": 5},
            ],
        }
    )
    [mapped] = with_policies().attributes[3:]

    assert _category_options(listed, mapped) == {"English": "en", "Gold": 4, "Old": 5}
    # What is read back is never sent when creating an attribute.
    assert listed.enumeration[0].model_dump() == {"value": 0, "label": "English"}


@pytest.mark.parametrize(
    ("category", "brevo_type", "kind", "mismatch"),
    [
        pytest.param("normal", "text", "category", None, id="category-as-text-labels"),
        pytest.param("category", "text", "category", None, id="category-as-category"),
        pytest.param("normal", "float", "date", "X is float, its column holds date"),
        pytest.param(
            "normal",
            "float",
            "category",
            "X is float attribute in Brevo, configured as a category (attributes:)",
            id="category-onto-a-number",
        ),
        pytest.param("normal", None, "float", None, id="brevo-gives-no-type"),
    ],
)
def test_a_type_mismatch_is_what_brevo_cannot_take(
    category, brevo_type, kind, mismatch
):
    attribute = Attribute.model_validate(
        {"name": "X", "category": category, "type": brevo_type}
    )

    assert type_mismatch(attribute, kind) == mismatch
