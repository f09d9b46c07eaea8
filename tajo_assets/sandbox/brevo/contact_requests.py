"""Contact routes: list, get, create, update, delete and batch update.

Callers hold `account.lock`. Every write is read and checked in full before
anything is applied, so a refused request changes nothing. Attribute values
follow `attributes.read_attributes`; in these routes a blank value (null or "")
erases the attribute.
"""

from typing import Any

from tajo_assets.sandbox.brevo import queries, values
from tajo_assets.sandbox.brevo.attributes import read_attributes
from tajo_assets.sandbox.brevo.contacts import (
    UNCHANGED,
    Contact,
    ContactChange,
    parse_identifier_type,
    require_found,
)
from tajo_assets.sandbox.brevo.errors import BrevoError, invalid, missing
from tajo_assets.sandbox.brevo.state import Account


def list_contacts(
    account: Account, query: dict[str, str], list_ids: list[str]
) -> dict[str, Any]:
    """`GET /contacts`: limit <= 1000, offset, sort, modifiedSince, createdSince."""
    page = queries.read_page(query, default_limit=50, max_limit=1000)
    modified_since = queries.read_since(query, "modifiedSince")
    created_since = queries.read_since(query, "createdSince")
    wanted = {queries.read_path_id(raw, "listIds") for raw in _split(list_ids)}
    contacts = [
        contact
        for contact in account.book
        if (modified_since is None or contact.modified_at > modified_since)
        and (created_since is None or contact.created_at > created_since)
        and (not wanted or wanted & contact.list_ids)
    ]
    return {
        "contacts": [contact.render() for contact in page.take(contacts)],
        "count": len(contacts),
    }


def get_contact(
    account: Account, identifier: str, identifier_type: str | None
) -> dict[str, Any]:
    """`GET /contacts/{identifier}`; campaign statistics are always empty here."""
    contact = _find(account, identifier, identifier_type)
    return {**contact.render(), "statistics": {}}


def create_contact(account: Account, body: Any) -> dict[str, Any] | None:
    """`POST /contacts`: the new id (201), or None when `updateEnabled` updated one.

    An identifier (email, ext_id or SMS) held by an existing contact is a 400
    `duplicate_parameter` unless `updateEnabled` is true (reference section 1).
    """
    body = _object(body)
    change = _read_change(account, body, email=_read_email(body.get("email")))
    holders = account.book.owners(change)  # one key per identifier the body sets
    if not holders:
        raise missing(
            "Please provide an email, an ext_id or an SMS attribute to create a contact"
        )
    owners = {c.id: c for c in holders.values() if c is not None}
    if len(owners) == 1 and body.get("updateEnabled") is True:
        contact = next(iter(owners.values()))
        _commit(account, [(contact, change)], code="duplicate_parameter")
        return None
    contact = account.book.new(account.now())
    _commit(account, [(contact, change)], code="duplicate_parameter")
    return {"id": contact.id}


def update_contact(
    account: Account, identifier: str, identifier_type: str | None, body: Any
) -> None:
    """`PUT /contacts/{identifier}`; `attributes.EMAIL` changes the address.

    Taking an identifier another contact holds answers 400 `invalid_parameter`
    with `metadata.duplicate_identifiers`, the code Brevo has used for it since
    2026 (reference section 7, row 4).
    """
    contact = _find(account, identifier, identifier_type)
    body = _object(body)
    email = _read_email(_raw_attribute(body, "EMAIL"))
    change = _read_change(account, body, email=email)
    _commit(account, [(contact, change)], code="invalid_parameter")


def delete_contact(
    account: Account, identifier: str, identifier_type: str | None
) -> None:
    account.book.delete(_find(account, identifier, identifier_type))


def update_batch(account: Account, body: Any) -> None:
    """`POST /contacts/batch`: update existing contacts, all or none.

    Each item names its contact by exactly one of email, id or sms. If any
    contact is unknown the whole batch fails with 404 `document_not_found`
    "No contact found for indexes ..." (0-based), as Brevo does (reference
    section 7, row 1); nothing is updated.
    """
    items = _object(body).get("contacts")
    if not isinstance(items, list) or not items:
        raise missing("contacts must be a non-empty array of contacts to update")
    targets = [_batch_target(account, index, item) for index, item in enumerate(items)]
    unknown = [str(index) for index, contact in enumerate(targets) if contact is None]
    if unknown:
        raise BrevoError(
            404,
            "document_not_found",
            f"No contact found for indexes {','.join(unknown)}",
        )
    writes = []
    for contact, item in zip(targets, items, strict=True):
        email = _read_email(_raw_attribute(item, "EMAIL"))
        writes.append((contact, _read_change(account, item, email=email)))
    _commit(account, writes, code="invalid_parameter")


def _find(account: Account, identifier: str, identifier_type: str | None) -> Contact:
    identifier_type = parse_identifier_type(identifier_type)
    return require_found(account.book.find(identifier, identifier_type))


def _read_change(account: Account, body: dict[str, Any], email: Any) -> ContactChange:
    """The writes a create/update/batch body asks for, checked for shape."""
    attributes = read_attributes(account.attributes, body.get("attributes"), True)
    raw_sms = _raw_attribute(body, "SMS")
    if not values.is_blank(raw_sms) and "SMS" not in attributes:
        raise invalid(
            f"Invalid phone number {raw_sms!r}: pass SMS with its country code, "
            "as +33xxxxxxxxx or 0033xxxxxxxxx"
        )
    return ContactChange(
        email=email,
        ext_id=_read_ext_id(body.get("ext_id", UNCHANGED)),
        attributes=attributes,
        email_blacklisted=_read_flag(body, "emailBlacklisted"),
        sms_blacklisted=_read_flag(body, "smsBlacklisted"),
        link=_read_list_ids(body, "listIds"),
        unlink=_read_list_ids(body, "unlinkListIds"),
    )


def _commit(
    account: Account, writes: list[tuple[Contact, ContactChange]], code: str
) -> None:
    for contact, change in writes:
        account.book.check(contact, change, code)
        account.check_lists(change.link | change.unlink)
    now = account.now()
    for contact, change in writes:
        account.book.apply(contact, change, now)


def _batch_target(account: Account, index: int, item: Any) -> Contact | None:
    if not isinstance(item, dict):
        raise invalid(f"contacts[{index}] must be an object")
    given = [key for key in ("email", "id", "sms") if item.get(key) is not None]
    if len(given) != 1:
        raise invalid(
            f"contacts[{index}] must name its contact by exactly one of email, id "
            f"or sms; got {', '.join(given) or 'none'}"
        )
    key = given[0]
    if key == "email":
        return account.book.by_email(values.normalize_email(item["email"]))
    if key == "id":
        return account.book.get(item["id"]) if isinstance(item["id"], int) else None
    return account.book.by_sms(str(item["sms"]))


def _read_email(raw: Any) -> Any:
    if values.is_blank(raw):
        return UNCHANGED
    email = values.normalize_email(raw)
    if not values.is_valid_email(email):
        raise invalid(f"Invalid email address {raw!r}")
    return email


def _read_ext_id(raw: Any) -> Any:
    if raw is UNCHANGED:
        return UNCHANGED
    if values.is_blank(raw):
        return None
    if not isinstance(raw, str):
        raise invalid(f"ext_id must be a string; got {type(raw).__name__}")
    return raw


def _read_flag(body: dict[str, Any], key: str) -> bool | None:
    raw = body.get(key)
    if raw is not None and not isinstance(raw, bool):
        raise invalid(f"{key} must be true or false")
    return raw


def _read_list_ids(body: dict[str, Any], key: str) -> frozenset[int]:
    raw = body.get(key) or []
    if not isinstance(raw, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in raw
    ):
        raise invalid(f"{key} must be an array of list ids (integers)")
    return frozenset(raw)


def _raw_attribute(body: dict[str, Any], name: str) -> Any:
    attributes = body.get("attributes")
    return attributes.get(name) if isinstance(attributes, dict) else None


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object")
    return body


def _split(raw_values: list[str]) -> list[str]:
    """`listIds=1&listIds=2` and `listIds=1,2` both name lists 1 and 2."""
    return [part for raw in raw_values for part in raw.split(",") if part]
