"""How the sandbox reads identifiers and attribute values, the way Brevo does.

Emails are normalized by trimming and lower-casing. Attribute values that do
not match their attribute's type are ignored rather than refused: the spec
says so for create and update ("Values that don't match the attribute type
... will be ignored", `components.schemas.createContact`), and the sandbox
applies the same rule to import and batch update. Real Brevo has also been
seen answering 400 "invalid date format" to a bad date on create
(reference section 5); clients must not rely on either behaviour.
"""

import datetime as dt
import re
from typing import Any

EMPTY = object()
"""The value was blank (None, "", or an empty list)."""

IGNORED = object()
"""The value does not match the attribute's type and is left out."""

_EMAIL = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}"
)
_PHONE = re.compile(r"(\+|00)[1-9][0-9]{5,14}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_MAX_EMAIL_LENGTH = 254


def normalize_email(raw: Any) -> str:
    """Trimmed and lower-cased, as Brevo stores addresses; "" when not a string."""
    return raw.strip().lower() if isinstance(raw, str) else ""


def is_valid_email(email: str) -> bool:
    """Whether a normalized address is one Brevo would accept."""
    return len(email) <= _MAX_EMAIL_LENGTH and _EMAIL.fullmatch(email) is not None


def is_valid_phone(phone: str) -> bool:
    """An SMS number with its country code: `+33...` or `0033...`, digits only."""
    return _PHONE.fullmatch(phone) is not None


def is_blank(raw: Any) -> bool:
    return raw is None or raw == "" or raw == []


def to_text(raw: Any) -> Any:
    """Text values: strings as sent, numbers as their decimal spelling."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return str(raw)
    return IGNORED


def to_float(raw: Any) -> Any:
    """A JSON number, or a string spelling one (file imports carry only text)."""
    if isinstance(raw, bool):
        return IGNORED
    if isinstance(raw, int | float):
        return raw
    if isinstance(raw, str) and _NUMBER.fullmatch(raw.strip()):
        number = float(raw)
        return int(number) if number.is_integer() and "." not in raw else number
    return IGNORED


def to_date(raw: Any) -> Any:
    """A calendar date spelled `YYYY-MM-DD`; any other spelling is ignored."""
    if not isinstance(raw, str) or not _DATE.fullmatch(raw.strip()):
        return IGNORED
    try:
        return dt.date.fromisoformat(raw.strip()).isoformat()
    except ValueError:
        return IGNORED


def to_boolean(raw: Any) -> Any:
    """JSON true/false, or the words true/false in any case (file imports)."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    return IGNORED


def to_category(raw: Any, enumeration: list[dict[str, Any]]) -> Any:
    """An option of a category attribute, given by its integer value (or that
    number spelled as text, as a fileBody carries it); stored as its label.

    A label is ignored: Brevo did not save a category attribute given its
    label (sendinblue/APIv3-python-library#65), and the enumeration's `value`
    is the option's id (spec `createAttribute`).
    """
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        return IGNORED
    for option in enumeration:
        if str(raw).strip() == str(option["value"]):
            return option["label"]
    return IGNORED


def to_choices(raw: Any, options: list[str]) -> Any:
    """A list of options of a multiple-choice attribute; any unknown one voids all."""
    if not isinstance(raw, list) or not all(item in options for item in raw):
        return IGNORED
    return list(raw)
