"""The sandbox account's state: contacts, attributes, folders, lists, processes.

One `Account` holds everything a Brevo account would; every read and write
goes through `Account.lock`, so HTTP handlers and import workers can share it.
"""

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any

from tajo_assets.sandbox.brevo.attributes import DEFAULT_ATTRIBUTES, Attribute
from tajo_assets.sandbox.brevo.contacts import ContactBook, timestamp
from tajo_assets.sandbox.brevo.errors import invalid, not_found


@dataclass
class Folder:
    id: int
    name: str


@dataclass
class ContactList:
    id: int
    name: str
    folder_id: int
    created_at: dt.datetime


class Account:
    """Everything one Brevo account holds; callers hold `lock` while using it."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """Back to a fresh account: default attributes only, ids from 1."""
        with self.lock:
            self.book = ContactBook()
            self.attributes: dict[str, Attribute] = {
                attribute.name: attribute for attribute in DEFAULT_ATTRIBUTES
            }
            self.folders: dict[int, Folder] = {}
            self.lists: dict[int, ContactList] = {}
            self.processes: dict[int, Any] = {}
            self.files: dict[str, bytes] = {}
            # Events accepted by POST /events and /events/batch, oldest first.
            self.events: list[Any] = []
            self._next_ids = {"folder": 1, "list": 1, "process": 1}

    @staticmethod
    def now() -> dt.datetime:
        """Wall-clock UTC time, for createdAt/modifiedAt (rate limits use a clock)."""
        return dt.datetime.now(dt.UTC)

    def next_id(self, kind: str) -> int:
        next_id = self._next_ids[kind]
        self._next_ids[kind] = next_id + 1
        return next_id

    def require_list(self, list_id: int) -> ContactList:
        contact_list = self.lists.get(list_id)
        if contact_list is None:
            raise not_found(f"List ID {list_id} not found")
        return contact_list

    def check_lists(self, list_ids: frozenset[int]) -> None:
        """Refuse list ids the account does not have."""
        unknown = sorted(list_ids - self.lists.keys())
        if unknown:
            raise invalid(
                f"List ID(s) {', '.join(map(str, unknown))} do not exist; "
                "create the list first (POST /contacts/lists)"
            )

    def render_list(self, contact_list: ContactList) -> dict[str, Any]:
        """A list with its counters, as `GET /contacts/lists` shows it."""
        members = self.book.members(contact_list.id)
        blacklisted = sum(
            1 for contact_id in members if self.book.get(contact_id).email_blacklisted
        )
        return {
            "id": contact_list.id,
            "name": contact_list.name,
            "folderId": contact_list.folder_id,
            "totalSubscribers": len(members) - blacklisted,
            "uniqueSubscribers": len(members),
            "totalBlacklisted": blacklisted,
        }

    def render_folder(self, folder: Folder) -> dict[str, Any]:
        member_ids: set[int] = set()
        for contact_list in self.lists.values():
            if contact_list.folder_id == folder.id:
                member_ids.update(self.book.members(contact_list.id))
        blacklisted = sum(
            1
            for contact_id in member_ids
            if self.book.get(contact_id).email_blacklisted
        )
        return {
            "id": folder.id,
            "name": folder.name,
            "totalSubscribers": len(member_ids) - blacklisted,
            "uniqueSubscribers": len(member_ids),
            "totalBlacklisted": blacklisted,
        }

    def render_list_details(self, contact_list: ContactList) -> dict[str, Any]:
        """A list as `GET /contacts/lists/{listId}` shows it (`getExtendedList`)."""
        return {
            **self.render_list(contact_list),
            "createdAt": timestamp(contact_list.created_at),
            "campaignStats": [],
            "dynamicList": False,
        }
