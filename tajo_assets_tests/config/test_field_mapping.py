"""field_mapping: one contact identifier, Brevo attribute names, one column each."""

import pytest

from tajo_assets.config import ConfigError, FieldMapping
from tajo_assets_tests.config.support import SNOWFLAKE_ONLY, line_about


def _with_mapping(*lines: str) -> str:
    return SNOWFLAKE_ONLY + "field_mapping:\n" + "".join(f"  {x}\n" for x in lines)


@pytest.mark.parametrize(
    ("lines", "key_path", "expected"),
    [
        pytest.param(
            ["email: email", "first_name: firstname"],
            "field_mapping.first_name",
            "got 'firstname'; expected 'email' or 'ext_id' for the contact "
            "identifier, or a Brevo attribute name: upper-case letters, digits and _, "
            "not starting with a digit (e.g. 'FIRSTNAME'); did you mean 'FIRSTNAME'?",
            id="lower-case-attribute",
        ),
        pytest.param(
            ["email: email", "ltv: LtvScore"],
            "field_mapping.ltv",
            "got 'LtvScore'; expected 'email' or 'ext_id'",
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
            "got '1ST_SCORE'; expected 'email' or 'ext_id' for the contact "
            "identifier, or a Brevo attribute name",
            id="attribute-starting-with-digit",
        ),
        pytest.param(
            ["mail: EMAIL"],
            "field_mapping.mail",
            "got 'EMAIL'; expected 'email' (lower-case) to map the contact "
            "identifier; EMAIL is the identifier itself, not an attribute",
            id="upper-case-identifier",
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
            "exactly one column to email or ext_id",
            id="two-identifiers",
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
            "got 42; expected 'email' or 'ext_id'",
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
        "(or '<column>: ext_id')"
    ) in line


def test_every_bad_entry_is_reported(load_error):
    message = load_error(
        _with_mapping("email: email", "a: lower", "b: Mixed", "c: also_lower")
    )

    for column in ("a", "b", "c"):
        assert "expected 'email' or 'ext_id'" in line_about(
            message, f"field_mapping.{column}"
        )


def test_ext_id_as_the_identifier_is_refused_until_syncs_can_key_by_it(load_text):
    # Every contact is keyed by email for now; accepting ext_id would reject
    # every row at run time while the run still succeeded.
    with pytest.raises(ConfigError) as raised:
        load_text(_with_mapping("customer_id: ext_id", "first_name: FIRSTNAME"))

    message = str(raised.value)
    assert "field_mapping.customer_id" in message
    assert "got 'ext_id' as the contact identifier" in message
    assert "map the email column to email" in message


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
