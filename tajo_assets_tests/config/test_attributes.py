"""attributes: per-attribute NULL policies and category attributes with their values."""

import pytest

from tajo_assets.config.attributes import NullPolicy
from tajo_assets.sync.state import sync_definition
from tajo_assets_tests.config.support import line_about

HEAD = """\
connectors:
  snowflake:
    account: myorg-myaccount
    queries:
      customers: SELECT email, segment, ltv, first_order FROM customers
field_mapping:
  email: email
  segment: SEGMENT
  ltv: LTV
syncs:
  customers:
    query: customers
    destination:
      list_id: 3
"""
OWN_MAPPING = """\
  scores:
    query: SELECT email, first_order FROM orders
    destination:
      list_id: 4
      attribute_mapping:
        first_order: FIRST_ORDER
"""


def _with_attributes(block: str, head: str = HEAD) -> str:
    return head + "attributes:\n" + block


def test_without_attributes_every_attribute_takes_the_defaults(load_text):
    [spec] = load_text(HEAD).syncs()

    assert spec.attributes == {}
    assert spec.definition_options() == {}


def test_options_reach_the_syncs_whose_mapping_targets_them(load_text):
    config = load_text(
        _with_attributes(
            "  LTV: {null_policy: clear}\n"
            "  FIRST_ORDER: {null_policy: set_if_empty}\n"
            "  SEGMENT:\n"
            "    type: category\n"
            "    values: [Champions, Loyal, 3]\n",
            HEAD + OWN_MAPPING,
        )
    )

    customers, scores = config.syncs()
    assert set(customers.attributes) == {"LTV", "SEGMENT"}
    assert customers.attributes["LTV"].null_policy == NullPolicy.CLEAR
    assert customers.attributes["SEGMENT"].enumeration == (
        (1, "Champions"),
        (2, "Loyal"),
        (3, "3"),
    )
    assert set(scores.attributes) == {"FIRST_ORDER"}
    assert scores.attributes["FIRST_ORDER"].null_policy == NullPolicy.SET_IF_EMPTY


def test_changing_a_policy_changes_the_sync_definition(load_text):
    [plain] = load_text(HEAD).syncs()
    [skip] = load_text(_with_attributes("  LTV: {null_policy: skip}\n")).syncs()
    [clear] = load_text(_with_attributes("  LTV: {null_policy: clear}\n")).syncs()

    # Writing the default changes nothing: existing syncs keep their state.
    assert sync_definition(skip) == sync_definition(plain)
    assert sync_definition(clear) != sync_definition(plain)


@pytest.mark.parametrize(
    ("block", "key_path", "expected"),
    [
        pytest.param(
            "  SCORE: {null_policy: clear}\n",
            "attributes.SCORE",
            "'SCORE' is not the target of any mapping (field_mapping or a sync's "
            "attribute_mapping: LTV, SEGMENT); map a column to it, or remove it here",
            id="not-a-mapping-target",
        ),
        pytest.param(
            "  email: {null_policy: clear}\n",
            "attributes.email",
            "'email' is the contact identifier, not an attribute",
            id="the-identifier",
        ),
        pytest.param(
            "  ltv: {null_policy: clear}\n",
            "attributes",
            "did you mean 'LTV'?",
            id="lower-case-name",
        ),
        pytest.param(
            "  _LTV: {null_policy: clear}\n",
            "attributes",
            "starting with a letter",
            id="name-starting-with-underscore",
        ),
        pytest.param(
            "  LTV: {null_policy: erase}\n",
            "attributes.LTV.null_policy",
            "'skip', 'clear' or 'set_if_empty'",
            id="unknown-policy",
        ),
        pytest.param(
            "  SEGMENT: {type: category}\n",
            "attributes.SEGMENT.values",
            "missing; a category attribute needs its labels",
            id="category-without-values",
        ),
        pytest.param(
            "  SEGMENT: {type: category, values: []}\n",
            "attributes.SEGMENT.values",
            "missing; a category attribute needs its labels",
            id="category-with-no-values",
        ),
        pytest.param(
            "  SEGMENT: {values: [A, B]}\n",
            "attributes.SEGMENT.values",
            "applies only with type: category",
            id="values-without-category",
        ),
        pytest.param(
            "  SEGMENT: {type: category, values: [A, B, A]}\n",
            "attributes.SEGMENT.values",
            "lists 'A' more than once; each label must be unique",
            id="repeated-label",
        ),
        pytest.param(
            "  SEGMENT: {type: category, values: [A, '" + "x" * 201 + "']}\n",
            "attributes.SEGMENT.values.1",
            "a label of at most 200 characters",
            id="label-too-long",
        ),
        pytest.param(
            "  SEGMENT: {type: text}\n",
            "attributes.SEGMENT.type",
            "'category'",
            id="type-other-than-category",
        ),
        pytest.param(
            "  LTV: {null_policy: clear, default: 0}\n",
            "attributes.LTV",
            "default",
            id="unknown-option",
        ),
    ],
)
def test_bad_attribute_options_name_the_key_and_the_fix(
    load_error, block, key_path, expected
):
    message = load_error(_with_attributes(block))

    lines = [line for line in message.splitlines() if f" {key_path}" in line]
    assert lines, message
    assert any(expected in line for line in lines), message


def test_every_problem_is_reported_at_once(load_error):
    message = load_error(
        _with_attributes(
            "  SCORE: {null_policy: clear}\n  OTHER: {null_policy: clear}\n"
        )
    )

    assert "not the target of any mapping" in line_about(message, "attributes.SCORE")
    assert "not the target of any mapping" in line_about(message, "attributes.OTHER")
