"""Contacts of the sandbox account: records, identifier indexes and list membership.

A contact is identified by its email, its EXT_ID, its SMS number or its
Brevo id; each of the first three is unique per account. Writes are prepared
first (`ContactChange`, validated against the whole book) and applied after,
so a request that fails changes nothing.
"""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tajo_assets.sandbox.brevo.errors import BrevoError, duplicate, invalid

UNCHANGED = object()
"""A `ContactChange` field the request does not touch."""

IDENTIFIER_TYPES = (
    "email_id",
    "contact_id",
    "ext_id",
    "phone_id",
    "whatsapp_id",
    "landline_number_id",
)
_ATTRIBUTE_OF_TYPE = {
    "whatsapp_id": "WHATSAPP",
    "landline_number_id": "LANDLINE_NUMBER",
}


def timestamp(moment: dt.datetime) -> str:
    """Brevo's UTC date-time spelling, `YYYY-MM-DDTHH:mm:ss.SSS+00:00`."""
    return moment.isoformat(timespec="milliseconds")


@dataclass
class Contact:
    """One contact; `attributes` holds SMS but neither EMAIL nor EXT_ID."""

    id: int
    created_at: dt.datetime
    modified_at: dt.datetime
    email: str | None = None
    ext_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    list_ids: set[int] = field(default_factory=set)
    email_blacklisted: bool = False
    sms_blacklisted: bool = False

    @property
    def sms(self) -> str | None:
        return self.attributes.get("SMS")

    def render(self) -> dict[str, Any]:
        """The contact as `GET /contacts` lists it (`getContactDetails`)."""
        rendered: dict[str, Any] = {} if self.email is None else {"email": self.email}
        attributes = dict(self.attributes)
        if self.ext_id is not None:
            attributes["EXT_ID"] = self.ext_id
        rendered.update(
            id=self.id,
            emailBlacklisted=self.email_blacklisted,
            smsBlacklisted=self.sms_blacklisted,
            createdAt=timestamp(self.created_at),
            modifiedAt=timestamp(self.modified_at),
            listIds=sorted(self.list_ids),
            attributes=attributes,
        )
        return rendered

    def snapshot(self) -> dict[str, Any]:
        """The contact as tests and the demo summary inspect it."""
        return {
            "id": self.id,
            "email": self.email,
            "ext_id": self.ext_id,
            "attributes": dict(self.attributes),
            "listIds": sorted(self.list_ids),
            "emailBlacklisted": self.email_blacklisted,
            "smsBlacklisted": self.sms_blacklisted,
            "createdAt": timestamp(self.created_at),
            "modifiedAt": timestamp(self.modified_at),
        }


@dataclass
class ContactChange:
    """A validated write to one contact; `attributes` maps names to value or None."""

    email: Any = UNCHANGED
    ext_id: Any = UNCHANGED
    attributes: dict[str, Any] = field(default_factory=dict)
    email_blacklisted: bool | None = None
    sms_blacklisted: bool | None = None
    link: frozenset[int] = frozenset()
    unlink: frozenset[int] = frozenset()


class ContactBook:
    """All contacts, indexed by id, email, EXT_ID and SMS, with list members."""

    def __init__(self) -> None:
        self._by_id: dict[int, Contact] = {}
        self._by_email: dict[str, int] = {}
        self._by_ext_id: dict[str, int] = {}
        self._by_sms: dict[str, int] = {}
        self._members: dict[int, set[int]] = {}
        self._next_id = 1

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Contact]:
        """Contacts in creation order."""
        return iter(list(self._by_id.values()))

    def get(self, contact_id: int) -> Contact | None:
        return self._by_id.get(contact_id)

    def by_email(self, email: str) -> Contact | None:
        return self._lookup(self._by_email, email)

    def by_ext_id(self, ext_id: str) -> Contact | None:
        return self._lookup(self._by_ext_id, ext_id)

    def by_sms(self, sms: str) -> Contact | None:
        return self._lookup(self._by_sms, sms)

    def members(self, list_id: int) -> list[int]:
        """Ids of the contacts in a list, in creation order."""
        return sorted(self._members.get(list_id, ()))

    def find(self, identifier: str, identifier_type: str | None) -> Contact | None:
        """Resolve a path identifier the way `/contacts/{identifier}` does.

        Without `identifierType`, an address with "@" is an email, digits are
        a contact id and a leading "+" is an SMS number.
        """
        if identifier_type is None:
            identifier_type = _guess_type(identifier)
        if identifier_type == "email_id":
            return self.by_email(identifier.strip().lower())
        if identifier_type == "contact_id":
            return self.get(int(identifier)) if identifier.isdigit() else None
        if identifier_type == "ext_id":
            return self.by_ext_id(identifier)
        if identifier_type == "phone_id":
            return self.by_sms(identifier)
        name = _ATTRIBUTE_OF_TYPE[identifier_type]
        return next((c for c in self if c.attributes.get(name) == identifier), None)

    def new(self, now: dt.datetime) -> Contact:
        """A contact with the next id, not yet in the book.

        The id is taken only when `apply` adds the contact, so a refused create
        leaves no gap; apply one new contact before asking for the next.
        """
        return Contact(id=self._next_id, created_at=now, modified_at=now)

    def check(self, contact: Contact, change: ContactChange, code: str) -> None:
        """Refuse a change that would take identifiers other contacts hold.

        The 400 names every such identifier in `metadata.duplicate_identifiers`,
        as Brevo does; `code` is the error code to answer with.
        """
        taken = [
            label
            for label, owner in self.owners(change).items()
            if owner is not None and owner.id != contact.id
        ]
        if taken:
            verb = "update" if contact.id in self._by_id else "create"
            raise duplicate(
                f"Unable to {verb} contact, {' and '.join(taken)} "
                f"{'is' if len(taken) == 1 else 'are'} already associated with "
                "another Contact",
                taken,
                code,
            )

    def owners(self, change: ContactChange) -> dict[str, Contact | None]:
        """The contacts holding the identifiers a change sets, by identifier."""
        sms = change.attributes.get("SMS", UNCHANGED)
        owners = {}
        for label, index, value in (
            ("email", self._by_email, change.email),
            ("ext_id", self._by_ext_id, change.ext_id),
            ("SMS", self._by_sms, sms),
        ):
            if value is not UNCHANGED and value is not None:
                owners[label] = self._lookup(index, value)
        return owners

    def apply(self, contact: Contact, change: ContactChange, now: dt.datetime) -> bool:
        """Write a checked change; True when anything about the contact changed."""
        before = _state(contact) if contact.id in self._by_id else None
        self._by_id[contact.id] = contact
        self._next_id = max(self._next_id, contact.id + 1)
        if change.email is not UNCHANGED:
            self._reindex(self._by_email, contact.email, change.email, contact.id)
            contact.email = change.email
        if change.ext_id is not UNCHANGED:
            self._reindex(self._by_ext_id, contact.ext_id, change.ext_id, contact.id)
            contact.ext_id = change.ext_id
        if "SMS" in change.attributes:
            self._reindex(
                self._by_sms, contact.sms, change.attributes["SMS"], contact.id
            )
        _write_attributes(contact, change)
        self._relink(contact, change.link, change.unlink)
        # A contact new to the book has changed by definition: no state to compare.
        changed = before is None or _state(contact) != before
        if changed:
            contact.modified_at = now
        return changed

    def delete(self, contact: Contact) -> None:
        self._relink(contact, frozenset(), frozenset(contact.list_ids))
        for index, value in (
            (self._by_email, contact.email),
            (self._by_ext_id, contact.ext_id),
            (self._by_sms, contact.sms),
        ):
            if value is not None:
                index.pop(value, None)
        del self._by_id[contact.id]

    def unlink_all(self, list_id: int, now: dt.datetime) -> int:
        """Take every contact out of a list; returns how many were in it."""
        member_ids = self.members(list_id)
        for contact_id in member_ids:
            self.apply(
                self._by_id[contact_id], ContactChange(unlink=frozenset([list_id])), now
            )
        return len(member_ids)

    def _lookup(self, index: dict[str, int], key: str) -> Contact | None:
        contact_id = index.get(key)
        return None if contact_id is None else self._by_id[contact_id]

    def _relink(self, contact: Contact, link: frozenset, unlink: frozenset) -> None:
        joined, left = link - contact.list_ids, unlink & contact.list_ids
        if not joined and not left:
            return
        for list_id in joined:
            self._members.setdefault(list_id, set()).add(contact.id)
        for list_id in left:
            self._members[list_id].discard(contact.id)
        contact.list_ids = (contact.list_ids | joined) - left

    @staticmethod
    def _reindex(index: dict[str, int], old: Any, new: Any, contact_id: int) -> None:
        if old is not None:
            index.pop(old, None)
        if new is not None:
            index[new] = contact_id


def _state(contact: Contact) -> tuple:
    return (
        contact.email,
        contact.ext_id,
        dict(contact.attributes),
        frozenset(contact.list_ids),
        contact.email_blacklisted,
        contact.sms_blacklisted,
    )


def _write_attributes(contact: Contact, change: ContactChange) -> None:
    for name, value in change.attributes.items():
        if value is None:
            contact.attributes.pop(name, None)
        else:
            contact.attributes[name] = value
    if change.email_blacklisted is not None:
        contact.email_blacklisted = change.email_blacklisted
    if change.sms_blacklisted is not None:
        contact.sms_blacklisted = change.sms_blacklisted


def _guess_type(identifier: str) -> str:
    if "@" in identifier:
        return "email_id"
    if identifier.isdigit():
        return "contact_id"
    if identifier.startswith("+"):
        return "phone_id"
    raise invalid(
        f"identifier {identifier!r} is neither an email nor a contact id; pass "
        "identifierType (ext_id, phone_id, ...) to look it up by another identifier"
    )


def parse_identifier_type(raw: str | None) -> str | None:
    if raw is None or raw in IDENTIFIER_TYPES:
        return raw
    raise invalid(f"identifierType {raw!r} is not one of {', '.join(IDENTIFIER_TYPES)}")


def require_found(contact: Contact | None) -> Contact:
    if contact is None:
        raise BrevoError(404, "document_not_found", "Contact does not exist")
    return contact
