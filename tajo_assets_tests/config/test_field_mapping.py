"""field_mapping: one contact identifier, Brevo attribute names, one column each."""

import pytest

from tajo_assets.config import IDENTIFIER_TARGETS, FieldMapping
from tajo_assets.sync.keys import KINDS
from tajo_assets_tests.config.support import SNOWFLAKE_ONLY, line_about


def _with_mapping(*lines: str) -> str:
    return SNOWFLAKE_ONLY + "field_mapping:\n" + "".join(f"  {x}\n" for x in lines)


@pytest.mark.parametrize(
    ("lines", "key_path", "expected"),
    [
        pytest.param(
            ["email: email", "first_name: firstname"],
            "field_mapping.first_name",
            "got 'firstname'; expected 'email', 'ext_id' or 'sms' for the contact "
            "identifier, or a Brevo attribute name: upper-case letters, digits and _, "
            "starting with a letter (e.g. 'FIRSTNAME'); did you mean 'FIRSTNAME'?",
            id="lower-case-attribute",
        ),
        pytest.param(
            ["email: email", "ltv: LtvScore"],
            "field_mapping.ltv",
            "got 'LtvScore'; expected 'email', 'ext_id' or 'sms'",
            id="mixed-case-attribute",
        ),
        pytest.param(
            ["email: email", "order_count: ORDER-COUNT"],
            "field_mapping.order_count",
            "did you mean 'ORDER_COUNT'?",
            id="attribute-with-dash",
        ),
        pytest.param(
            ["email: email", "score: 1ST_SCORE"],
            "field_mapping.score",
            "got '1ST_SCORE'; expected 'email', 'ext_id' or 'sms' for the "
            "contact identifier, or a Brevo attribute name",
            id="attribute-starting-with-digit",
        ),
        pytest.param(
            ["email: email", "hidden: _HIDDEN"],
            "field_mapping.hidden",
            "got '_HIDDEN'; expected 'email', 'ext_id' or 'sms' for the "
            "contact identifier, or a Brevo attribute name: upper-case letters, "
            "digits and _, starting with a letter (e.g. 'FIRSTNAME'); did you mean "
            "'HIDDEN'?",
            id="attribute-starting-with-underscore",
        ),
        pytest.param(
            ["mail: EMAIL"],
            "field_mapping.mail",
            "got 'EMAIL'; expected 'email' (lower-case) to key contacts by this "
            "column; EMAIL is a Brevo contact identifier (each value belongs to one "
            "contact), which a sync sends only as its key",
            id="upper-case-identifier",
        ),
        pytest.param(
            ["email: email", "mobile: SMS"],
            "field_mapping.mobile",
            "got 'SMS'; expected 'sms' (lower-case) to key contacts by this column; "
            "SMS is a Brevo contact identifier (each value belongs to one contact), "
            "which a sync sends only as its key. To store a value you do not key "
            "by, map it to an attribute of your own such as 'PHONE'",
            id="sms-attribute-beside-the-email-key",
        ),
        pytest.param(
            ["email: email", "customer_id: EXT_ID"],
            "field_mapping.customer_id",
            "expected 'ext_id' (lower-case) to key contacts by this column",
            id="ext-id-attribute-beside-the-email-key",
        ),
        pytest.param(
            ["email: email", "whatsapp: WHATSAPP"],
            "field_mapping.whatsapp",
            "got 'WHATSAPP'; expected an attribute of your own such as "
            "'WHATSAPP_NUMBER'; WHATSAPP is a Brevo contact identifier",
            id="whatsapp-attribute",
        ),
        pytest.param(
            ["email: email", "landline: LANDLINE_NUMBER"],
            "field_mapping.landline",
            "LANDLINE_NUMBER is a Brevo contact identifier (each value belongs to "
            "one contact), which a sync neither keys by nor sends",
            id="landline-attribute",
        ),
        pytest.param(
            ["phone: Sms"],
            "field_mapping.phone",
            "did you mean 'sms' (the contact identifier)?",
            id="capitalised-sms",
        ),
        pytest.param(
            ["customer_id: ext-id"],
            "field_mapping.customer_id",
            "did you mean 'ext_id' (the contact identifier)?",
            id="ext-id-with-a-dash",
        ),
        pytest.param(
            ["email: Email"],
            "field_mapping.email",
            "did you mean 'email' (the contact identifier)?",
            id="capitalised-identifier",
        ),
        pytest.param(
            ["email: email", "first_name: FIRSTNAME", "given_name: FIRSTNAME"],
            "field_mapping.given_name",
            "got 'FIRSTNAME', already the target of column 'first_name'; each Brevo "
            "target takes exactly one column, remove one",
            id="duplicate-target",
        ),
        pytest.param(
            ["email: email", "customer_id: ext_id"],
            "field_mapping.customer_id",
            "a second contact identifier (email: email, customer_id: ext_id); map "
            "exactly one column to email, ext_id or sms: the one Brevo should key "
            "contacts by",
            id="two-identifiers",
        ),
        pytest.param(
            ["phone: sms", "customer_id: ext_id"],
            "field_mapping.customer_id",
            "a second contact identifier (phone: sms, customer_id: ext_id)",
            id="sms-and-ext-id",
        ),
        pytest.param(
            ["email: email", "ltv: LTV", "LTV: LTV_SCORE"],
            "field_mapping.LTV",
            "column 'LTV' and column 'ltv' are the same column (Snowflake column "
            "names are matched case-insensitively); keep one",
            id="columns-differing-by-case",
        ),
        pytest.param(
            ["email: 42"],
            "field_mapping.email",
            "got 42; expected 'email', 'ext_id' or 'sms'",
            id="target-is-a-number",
        ),
    ],
)
def test_bad_mapping_entry_names_column_target_and_rule(
    load_error, lines: list[str], key_path: str, expected: str
):
    message = load_error(_with_mapping(*lines))

    assert expected in line_about(message, key_path)


def test_mapping_without_identifier_says_how_to_add_one(load_error):
    message = load_error(_with_mapping("first_name: FIRSTNAME"))

    line = line_about(message, "field_mapping")
    assert "line 4" in line
    assert (
        "maps no column to the contact identifier; add one line '<column>: email' "
        "(or '<column>: ext_id', '<column>: sms')"
    ) in line


def test_every_bad_entry_is_reported(load_error):
    message = load_error(
        _with_mapping("email: email", "a: lower", "b: Mixed", "c: also_lower")
    )

    for column in ("a", "b", "c"):
        assert "expected 'email', 'ext_id' or 'sms'" in line_about(
            message, f"field_mapping.{column}"
        )


@pytest.mark.parametrize("kind", ["email", "ext_id", "sms"])
def test_each_identifier_kind_can_be_the_key(load_text, kind: str):
    config = load_text(_with_mapping(f"contact_key: {kind}", "first_name: FIRSTNAME"))

    mapping = config.field_mapping
    assert (mapping.identifier_column, mapping.identifier_target) == (
        "contact_key",
        kind,
    )
    assert mapping.attributes == {"first_name": "FIRSTNAME"}


def test_the_identifier_targets_are_the_kinds_the_sync_keys_by():
    assert IDENTIFIER_TARGETS == KINDS


def test_mapping_keeps_columns_as_written_and_offers_an_upper_cased_view(load_text):
    config = load_text(
        _with_mapping("Email: email", "first_name: FIRSTNAME", "LTV_Score: LTV")
    )

    mapping = config.field_mapping
    assert mapping.columns == ("Email", "first_name", "LTV_Score")
    assert mapping.identifier_column == "Email"
    assert mapping.attributes == {"first_name": "FIRSTNAME", "LTV_Score": "LTV"}
    assert mapping.targets_by_upper_column == {
        "EMAIL": "email",
        "FIRST_NAME": "FIRSTNAME",
        "LTV_SCORE": "LTV",
    }
    assert mapping.as_dict() == {
        "Email": "email",
        "first_name": "FIRSTNAME",
        "LTV_Score": "LTV",
    }


def test_absent_field_mapping_maps_the_email_column_to_the_identifier(load_text):
    mapping = load_text(SNOWFLAKE_ONLY).field_mapping

    assert mapping.as_dict() == {"email": "email"}
    assert mapping.attributes == {}


def test_field_mapping_is_frozen():
    mapping = FieldMapping({"email": "email"})

    with pytest.raises(ValueError, match="frozen"):
        mapping.root = {"other": "email"}
