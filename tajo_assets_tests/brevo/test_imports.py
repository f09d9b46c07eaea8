"""Import bodies under a byte budget, and reading Brevo's rejection reports."""

import datetime as dt
import itertools
import json
from collections.abc import Iterator

import pytest

from tajo_assets.brevo.errors import BrevoRequestError
from tajo_assets.brevo.imports import (
    BREVO_MAX_BODY_BYTES,
    encode_json,
    parse_rejection_report,
    split_import_bodies,
)
from tajo_assets.brevo.models import RejectedContact


def contact(number: int, padding: int = 0) -> dict:
    return {
        "email": f"customer{number}@example.com",
        "attributes": {"FIRSTNAME": "Zoé", "LTV": number * 1.5, "NOTE": "x" * padding},
    }


def test_bodies_stay_within_the_budget_and_keep_every_contact() -> None:
    contacts = [contact(n, padding=n % 37) for n in range(1000)]

    bodies = list(split_import_bodies(contacts, max_body_bytes=10_000))

    assert len(bodies) > 5
    assert all(len(encode_json(body)) <= 10_000 for body in bodies)
    assert [c for body in bodies for c in body] == contacts


def test_each_body_is_as_full_as_the_budget_allows() -> None:
    contacts = [contact(n, padding=n % 11) for n in range(300)]

    bodies = list(split_import_bodies(contacts, max_body_bytes=4_000))

    for body, following in itertools.pairwise(bodies):
        assert len(encode_json([*body, following[0]])) > 4_000


def test_the_budget_counts_utf8_bytes_not_characters() -> None:
    wide = {"email": "a@example.com", "attributes": {"NAME": "é" * 100}}
    size = len(encode_json([wide]))

    bodies = list(split_import_bodies([wide, wide], max_body_bytes=size))

    assert size > 100 + len('{"email":"a@example.com","attributes":{"NAME":""}}')
    assert [len(body) for body in bodies] == [1, 1]


def test_contacts_are_read_lazily_one_body_at_a_time() -> None:
    pulled = 0

    def stream() -> Iterator[dict]:
        nonlocal pulled
        for number in range(10_000):
            pulled += 1
            yield contact(number)

    first = next(split_import_bodies(stream(), max_body_bytes=5_000))

    assert pulled == len(first) + 1


def test_no_contacts_make_no_body() -> None:
    assert list(split_import_bodies([])) == []


def test_a_contact_larger_than_the_budget_is_refused_by_position() -> None:
    contacts = [contact(0), contact(1), contact(2, padding=5_000), contact(3)]

    with pytest.raises(BrevoRequestError) as raised:
        list(split_import_bodies(contacts, max_body_bytes=2_000))

    message = str(raised.value)
    assert "position 2 of the import" in message
    assert "2000-byte budget" in message


@pytest.mark.parametrize(
    ("value", "said"),
    [(float("nan"), "Out of range float"), (dt.date(2024, 1, 5), "date")],
    ids=["nan", "date-object"],
)
def test_a_value_json_cannot_carry_is_refused_by_position(value, said) -> None:
    contacts = [contact(0), {"email": "b@example.com", "attributes": {"X": value}}]

    with pytest.raises(BrevoRequestError) as raised:
        list(split_import_bodies(contacts))

    message = str(raised.value)
    assert "position 1 of the import cannot be sent as JSON" in message
    assert said in message
    assert "NULL or NaN to a missing attribute" in message


@pytest.mark.parametrize("budget", [0, 2, BREVO_MAX_BODY_BYTES + 1], ids=str)
def test_a_budget_outside_brevos_limits_is_refused(budget: int) -> None:
    with pytest.raises(ValueError, match="import body budget must be between"):
        list(split_import_bodies([contact(0)], max_body_bytes=budget))


def test_bodies_are_compact_utf8_json() -> None:
    encoded = encode_json({"NAME": "Zoé", "N": [1, 2]})

    assert encoded == '{"NAME":"Zoé","N":[1,2]}'.encode()
    assert json.loads(encoded) == {"NAME": "Zoé", "N": [1, 2]}


def test_a_report_of_invalid_emails_reads_rows_and_reasons() -> None:
    report = "row,email\n3,not-an-email\n7,\n"

    rejected = parse_rejection_report(report, "invalid_emails")

    reason = "invalid email address, or no identifier at all"
    assert rejected == (
        RejectedContact("not-an-email", reason, row=3, code="invalid_emails"),
        RejectedContact("", reason, row=7, code="invalid_emails"),
    )


def test_a_report_with_its_own_reasons_keeps_them() -> None:
    report = "EMAIL;REASON\nbad@;Invalid email address\n"

    rejected = parse_rejection_report(report, "invalid_emails")

    assert rejected == (
        RejectedContact("bad@", "Invalid email address", code="invalid_emails"),
    )


def test_a_duplicate_report_names_the_repeated_identifier() -> None:
    rejected = parse_rejection_report("row,ext_id\n2,C-17\n", "duplicate_ext_id")

    assert rejected == (
        RejectedContact(
            "C-17",
            "EXT_ID repeated in the import or held by another contact",
            2,
            code="duplicate_ext_id",
        ),
    )


def test_a_report_without_an_identifier_column_is_unreadable() -> None:
    with pytest.raises(ValueError, match="invalid_emails report has no identifier"):
        parse_rejection_report("row\n1\n", "invalid_emails")
