"""Contact keys: how each kind of identifier is normalized, checked and masked.

A sync keys its contacts by one identifier, the mapping's identifier target:

- `email`: trimmed and lower-cased, so "Ann@Example.com " and "ann@example.com"
  are the same contact everywhere;
- `ext_id`: trimmed, case kept (it is the user's own id, "C-1" is not "c-1");
- `sms`: a phone number in international format, "+" then the country code and
  number: spaces, dots, dashes, parentheses and a "(0)" trunk prefix dropped, a
  "00" prefix made "+".

Keys are normalized once, in the warehouse (`key_sql`), before fingerprints are
taken; `key_problem` then says which keys Brevo cannot take. `normalize_key` is
the same rule in Python, for rows that do not carry a warehouse key.
"""

import re
from decimal import Decimal
from typing import Any

# Deliberately conservative: one "@", no spaces, a dotted domain of letters, digits
# and hyphens. Brevo's own validator is stricter than RFC 5322; rows it refuses
# anyway come back in the import process report.
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
MAX_EMAIL_LENGTH = 254

SMS_PATTERN = "[+][1-9][0-9]{6,14}"
"""An E.164 number: "+", then 7 to 15 digits, the country code's first not 0.

Written without backslashes or groups, so that Python's `re.fullmatch` and
Snowflake's REGEXP_LIKE (which matches the whole string) read it alike.
"""

# Characters TRIM removes around every key. Snowflake's TRIM removes only blanks
# unless told otherwise; spreadsheets leave tabs, line ends and no-break spaces.
_EDGE_CHARACTERS = " \t\n\r\xa0"
_EDGE_CHARACTERS_SQL = "' ' || CHR(9) || CHR(10) || CHR(13) || CHR(160)"
# "+44 (0)20 7946 0958": the "(0)" is the trunk prefix, not dialled from abroad.
_TRUNK_PREFIX = "(0)"
_PHONE_SEPARATORS = "[ .()-]"

KINDS = ("email", "ext_id", "sms")
"""The identifiers a sync can key its contacts by (mapping targets, lower-case)."""
# Where an import row carries the key of each kind other than email.
_IMPORT_ATTRIBUTES = {"ext_id": "EXT_ID", "sms": "SMS"}


class KeyKindNotSupported(ValueError):
    """The sync's identifier cannot do what was asked; fix the configuration."""


def normalize_email(raw: object) -> str | None:
    """The canonical form of an e-mail (trimmed, lower-cased), or None if invalid."""
    if not isinstance(raw, str):
        return None
    email = raw.strip().lower()
    if len(email) > MAX_EMAIL_LENGTH or not _EMAIL.match(email):
        return None
    local = email.split("@", 1)[0]
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return None
    return email


def mask_email(raw: object) -> str:
    """A form of the key that is safe for logs and Dagster metadata."""
    if not isinstance(raw, str) or not raw.strip():
        return "<empty>"
    text = raw.strip()
    local, at, domain = text.partition("@")
    if not at:
        return f"{text[:1]}***"
    return f"{local[:1]}***@{domain}"


def mask_key(kind: str, raw: object) -> str:
    """A key as logs and Dagster metadata may show it.

    Emails keep their first letter and domain, SMS numbers their first three
    and last two characters; an ext_id is the user's own id and is shown whole.
    """
    _check_kind(kind)
    if kind == "email":
        return mask_email(raw)
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        return "<empty>"
    if kind == "ext_id":
        return text
    return f"{text[:3]}***{text[-2:]}" if len(text) > 5 else "***"


def key_sql(kind: str, column_sql: str) -> str:
    """The SQL expression that normalizes an identifier column into the sync key.

    `kind` is the mapping's identifier target (email, ext_id or sms);
    `column_sql` appears once in the result. The expression uses only functions
    Snowflake and the sandbox (fakesnow on DuckDB) both run alike: TRIM with
    its characters, LOWER, REPLACE, and REGEXP_REPLACE with a literal pattern
    (every match replaced: Snowflake's default, and fakesnow passes DuckDB the
    'g' flag). NULL stays NULL. Raises ValueError for any other kind.
    """
    _check_kind(kind)
    text = f"TRIM(CAST({column_sql} AS VARCHAR), {_EDGE_CHARACTERS_SQL})"
    if kind == "email":
        return f"LOWER({text})"
    if kind == "ext_id":
        return text
    trunk_dropped = f"REPLACE({text}, '{_TRUNK_PREFIX}', '')"
    digits = f"REGEXP_REPLACE({trunk_dropped}, '{_PHONE_SEPARATORS}', '')"
    return f"REGEXP_REPLACE({digits}, '^00', '+')"


def normalize_key(kind: str, raw: Any) -> str | None:
    """What `key_sql` makes of a value, computed in Python; None for no key.

    Text is normalized; whole numbers (an ext_id column of type NUMBER) are
    spelled in decimal first. Any other value, and a blank, gives None. The
    key is not checked: see `key_problem`.
    """
    _check_kind(kind)
    if isinstance(raw, int | Decimal) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str):
        return None
    text = raw.strip(_EDGE_CHARACTERS)
    if kind == "email":
        text = text.lower()
    elif kind == "sms":
        text = re.sub(_PHONE_SEPARATORS, "", text.replace(_TRUNK_PREFIX, ""))
        text = "+" + text[2:] if text.startswith("00") else text
    return text or None


def key_problem(kind: str, key: str | None) -> str | None:
    """Why a normalized key cannot identify a Brevo contact, or None if it can.

    The reason is written for the rejected-rows log: it says what was expected.
    Raises ValueError for an unknown kind.
    """
    _check_kind(kind)
    if not key:
        return "empty key"
    if kind == "email":
        return None if normalize_email(key) == key else "invalid email address"
    if kind == "ext_id":
        if any(ord(char) < 32 or ord(char) == 127 for char in key):
            return "ext_id contains a line break, tab or other control character"
        return None
    if re.fullmatch(SMS_PATTERN, key):
        return None
    if not key.startswith("+"):
        return (
            "SMS number without a country code: write it in international "
            "format, + (or 00) and the country code, e.g. +33612345678"
        )
    return (
        "not an SMS number in international format: expected + then 7 to 15 "
        "digits (E.164), the country code first, e.g. +33612345678"
    )


def import_entry(kind: str, key: str, attributes: dict[str, Any]) -> dict[str, Any]:
    """One `jsonBody` item of a contact import, keyed by `key`.

    A jsonBody item has `email` and `attributes` (spec `requestContactImport`);
    EXT_ID and SMS are attributes there, as they are columns of Brevo's import
    files. `attributes` must not already name the identifier.
    """
    _check_kind(kind)
    if kind == "email":
        return {"email": key, "attributes": attributes}
    return {"attributes": {_IMPORT_ATTRIBUTES[kind]: key, **attributes}}


def update_item(kind: str, entry: dict[str, Any]) -> dict[str, Any]:
    """The `POST /contacts/batch` item updating the contact of an import entry.

    Batch items name their contact by email or SMS (or Brevo's id), never by
    ext_id, which there would set a new ext_id: ext_id keys go one by one.
    """
    _check_kind(kind)
    if kind == "email":
        return {"email": entry["email"], "attributes": dict(entry["attributes"])}
    if kind == "sms":
        attributes = dict(entry["attributes"])
        return {"sms": attributes.pop("SMS"), "attributes": attributes}
    raise KeyKindNotSupported(
        "Brevo's batch update cannot name contacts by ext_id; update them one by "
        "one with PUT /contacts/{ext_id}?identifierType=ext_id"
    )


def list_change_arguments(kind: str, keys: list[str]) -> dict[str, list[str]]:
    """The keyword arguments that name `keys` to add/remove_contacts_from_list.

    Brevo changes list membership by emails, extIds or contact ids only, so
    SMS keys raise `KeyKindNotSupported`: the caller looks their contact ids up
    first (see `tajo_assets.sync.contacts`).
    """
    _check_kind(kind)
    if kind == "email":
        return {"emails": list(keys)}
    if kind == "ext_id":
        return {"ext_ids": list(keys)}
    raise KeyKindNotSupported(
        "Brevo adds and removes list members by email, ext_id or contact id, not "
        "by SMS number; look the contacts' ids up and pass ids= instead"
    )


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(
            f"unknown identifier kind {kind!r}; expected one of {', '.join(KINDS)}"
        )
