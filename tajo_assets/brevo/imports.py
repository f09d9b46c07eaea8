"""Import bodies and rejection reports: the two ends of a Brevo contact import.

Split a stream of contacts into `POST /contacts/import` bodies under a byte
budget, and read the CSV report of the rows an import rejected.

Brevo refuses a `jsonBody` over 10 MB and recommends staying near 8 MB. The size
that counts is the serialized JSON, so each contact is measured on the exact
bytes the client sends (`encode_json`), and a body is yielded as soon as the next
contact would push it over the budget: one body is in memory at a time.
"""

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tajo_assets.brevo.errors import BrevoRequestError
from tajo_assets.brevo.models import RejectedContact

# Brevo's hard limit for an import request ("10 MB", read as 10,000,000 bytes,
# the stricter reading), and the ceiling it recommends staying under.
BREVO_MAX_BODY_BYTES = 10_000_000
DEFAULT_MAX_BODY_BYTES = 8_000_000
# What an import request adds around its jsonBody array (list ids and flags),
# kept out of the array's budget so that the whole request stays within it.
IMPORT_ENVELOPE_BYTES = 512


def contacts_budget(request_bytes: int) -> int:
    """The jsonBody array's budget in a request of at most `request_bytes`."""
    return request_bytes - IMPORT_ENVELOPE_BYTES


def largest_contact_bytes(array_budget: int) -> int:
    """The most bytes one contact may take and still fit in an array of
    `array_budget` bytes on its own (`split_import_bodies` refuses a larger one)."""
    return array_budget - _ARRAY_BYTES


# Why Brevo rejected the rows of each report an import process links to.
REJECTION_REASONS = {
    "invalid_emails": "invalid email address, or no identifier at all",
    "duplicate_contact_id": "contact id repeated in the import",
    "duplicate_email_id": "email repeated in the import or held by another contact",
    "duplicate_ext_id": "EXT_ID repeated in the import or held by another contact",
    "duplicate_phone_id": "SMS repeated in the import or held by another contact",
    "duplicate_whatsapp_id": "WHATSAPP repeated in the import or held by another "
    "contact",
    "duplicate_landline_number_id": "LANDLINE_NUMBER repeated in the import or held "
    "by another contact",
}

# The brackets of the JSON array around a body's contacts.
_ARRAY_BYTES = len(b"[]")


# One encoder for every call: json.dumps with non-default options builds a new
# encoder each time, which costs a third of encoding one contact.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def encode_json(value: Any) -> bytes:
    """Serialize a request body exactly as the client sends it.

    Compact separators and UTF-8 without escaping keep bodies small; NaN and
    infinity are refused because JSON has no way to say them.
    """
    return _ENCODER.encode(value).encode("utf-8")


def split_import_bodies(
    contacts: Iterable[Mapping[str, Any]],
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> Iterator[list[Mapping[str, Any]]]:
    """Group `contacts` into lists whose serialized JSON array fits `max_body_bytes`.

    Order is kept and no contact is dropped. Raises `BrevoRequestError` naming
    the contact's position in the input (from 0) when one contact alone exceeds
    the budget or cannot be serialized to JSON.
    """
    _check_budget(max_body_bytes)
    body: list[Mapping[str, Any]] = []
    body_bytes = _ARRAY_BYTES
    for position, contact in enumerate(contacts):
        size = _contact_size(contact, position, max_body_bytes)
        separator = 1 if body else 0
        if body_bytes + separator + size > max_body_bytes:
            yield body
            body, body_bytes, separator = [], _ARRAY_BYTES, 0
        body.append(contact)
        body_bytes += separator + size
    if body:
        yield body


def _contact_size(
    contact: Mapping[str, Any], position: int, max_body_bytes: int
) -> int:
    try:
        size = len(encode_json(contact))
    except (TypeError, ValueError) as error:
        raise BrevoRequestError(
            f"the contact at position {position} of the import cannot be sent as "
            f"JSON ({error}); map its values to text, numbers, booleans or lists "
            "of text, and NULL or NaN to a missing attribute"
        ) from error
    if _ARRAY_BYTES + size > max_body_bytes:
        raise BrevoRequestError(
            f"the contact at position {position} of the import serializes to "
            f"{size} bytes, more than the {max_body_bytes}-byte budget of one "
            "import body; shorten its attribute values or raise the budget "
            f"(Brevo accepts at most {BREVO_MAX_BODY_BYTES} bytes)"
        )
    return size


def _check_budget(max_body_bytes: int) -> None:
    if not _ARRAY_BYTES < max_body_bytes <= BREVO_MAX_BODY_BYTES:
        raise ValueError(
            f"the import body budget must be between {_ARRAY_BYTES + 1} and "
            f"{BREVO_MAX_BODY_BYTES} bytes (Brevo's limit), got {max_body_bytes}; "
            f"the default is {DEFAULT_MAX_BODY_BYTES}"
        )


def parse_rejection_report(text: str, kind: str) -> tuple[RejectedContact, ...]:
    """The rows of one CSV report of rejected rows (`kind` as in `info.import`).

    The report has a header and is separated by commas or semicolons. A `row`
    column gives the row's position in the import body; a column whose name
    mentions a reason or an error gives the reason, otherwise `kind` does; the
    first other column is the identifier. Raises ValueError when no column can
    be the identifier or a row number is not a number.
    """
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    reader.fieldnames = [name.strip() for name in reader.fieldnames or []]
    columns = _ReportColumns.find(reader.fieldnames, kind)
    default_reason = REJECTION_REASONS.get(kind, kind.replace("_", " "))
    return tuple(columns.read(record, default_reason, kind) for record in reader)


@dataclass(frozen=True)
class _ReportColumns:
    identifier: str
    row: str | None
    reason: str | None

    @classmethod
    def find(cls, names: Sequence[str], kind: str) -> "_ReportColumns":
        row = next((name for name in names if name.lower() == "row"), None)
        reason = next((name for name in names if _names_a_reason(name)), None)
        others = [name for name in names if name not in (row, reason)]
        if not others:
            raise ValueError(f"the {kind} report has no identifier column")
        return cls(identifier=others[0], row=row, reason=reason)

    def read(
        self, record: dict[str, str | None], default_reason: str, kind: str
    ) -> RejectedContact:
        row = (record.get(self.row) or "").strip() if self.row else ""
        reason = (record.get(self.reason) or "").strip() if self.reason else ""
        return RejectedContact(
            identifier=(record.get(self.identifier) or "").strip(),
            reason=reason or default_reason,
            row=int(row) if row else None,
            code=kind,
        )


def _names_a_reason(column: str) -> bool:
    return any(word in column.lower() for word in ("reason", "error"))
