"""Names and addresses that go into printed SQL: kept plain or quoted, never raw."""

import pytest

from tajo_assets.setup.identifiers import (
    AddressError,
    IdentifierError,
    network_address,
    object_identifier,
    quoted,
    source_identifier,
    user_identifier,
)


@pytest.mark.parametrize(
    ("name", "printed"),
    [
        ("TAJO_ROLE", "TAJO_ROLE"),
        ("tajo_role", '"tajo_role"'),
        ("My Warehouse", '"My Warehouse"'),
        ('x"; DROP ROLE ACCOUNTADMIN; --', '"x""; DROP ROLE ACCOUNTADMIN; --"'),
    ],
)
def test_object_names_keep_their_case_and_cannot_end_a_statement(name, printed):
    assert object_identifier(name) == printed


@pytest.mark.parametrize(
    ("name", "printed"),
    [
        ("tajo_integration", "TAJO_INTEGRATION"),
        ("svc.tajo@example.com", '"SVC.TAJO@EXAMPLE.COM"'),
        ("a'b", '"A\'B"'),
    ],
)
def test_users_are_named_in_upper_case_as_key_pair_sign_in_names_them(name, printed):
    assert user_identifier(name) == printed


def test_unquoted_query_names_resolve_in_upper_case_and_quoted_ones_as_written():
    assert source_identifier("customer_segments", was_quoted=False) == (
        "CUSTOMER_SEGMENTS"
    )
    assert source_identifier("lower t", was_quoted=True) == '"lower t"'


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("203.0.113.7", "203.0.113.7"),
        (" 203.0.113.0/24 ", "203.0.113.0/24"),
        ("198.51.100.0/32", "198.51.100.0/32"),
    ],
)
def test_addresses_and_blocks_are_accepted_in_canonical_form(text, canonical):
    assert network_address(text) == canonical


@pytest.mark.parametrize(
    "text", ["203.0.113.256", "10.0.0.1/8", "any", "1.2.3.4'); DROP USER X; --", ""]
)
def test_anything_but_an_address_or_block_is_refused_naming_the_value(text):
    with pytest.raises(AddressError) as refused:
        network_address(text)

    assert repr(text) in str(refused.value)
    assert "CIDR block" in str(refused.value)


@pytest.mark.parametrize("text", ["2001:db8::/32", "2001:0db8::0001"])
def test_ipv6_is_refused_because_network_policies_take_ipv4_only(text):
    with pytest.raises(AddressError) as refused:
        network_address(text)

    assert repr(text) in str(refused.value)
    assert "IPv4 addresses and blocks only" in str(refused.value)


@pytest.mark.parametrize(
    "name", ["TAJO\nDROP DATABASE PROD_DB;\n--", "a\rb", "nul\x00", "tab\tbed"]
)
def test_names_with_control_characters_are_refused_by_every_helper(name):
    for helper in (quoted, object_identifier, user_identifier):
        with pytest.raises(IdentifierError, match="control character"):
            helper(name)
    with pytest.raises(IdentifierError):
        source_identifier(name, was_quoted=True)
