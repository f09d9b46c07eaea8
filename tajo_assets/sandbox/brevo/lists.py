"""Folders, lists and list membership (`/contacts/folders`, `/contacts/lists`).

Callers hold `account.lock`. Membership changes take 1 to 150 emails, ids or
extIds of contacts that already exist (spec `addContactToListBy*`, maxItems
150; reference section 2). The answer lists what succeeded and what failed;
when nothing succeeded Brevo answers 400 "Contact already in list and/or does
not exist" (sendinblue/APIv3-php-library#134), and so does the sandbox.
"""

from typing import Any

from tajo_assets.sandbox.brevo import queries, values
from tajo_assets.sandbox.brevo.contacts import Contact, ContactChange
from tajo_assets.sandbox.brevo.errors import invalid, missing, out_of_range
from tajo_assets.sandbox.brevo.processes import Process
from tajo_assets.sandbox.brevo.state import Account, ContactList, Folder

MAX_MEMBERS_PER_CALL = 150
# Brevo's name for this process is not documented; this one is the sandbox's.
REMOVE_ALL_PROCESS = "REMOVE_CONTACTS_FROM_LIST"
_KEYS = ("emails", "ids", "extIds")


def list_folders(account: Account, query: dict[str, str]) -> dict[str, Any]:
    page = queries.read_page(query, default_limit=10, max_limit=50)
    folders = page.take(list(account.folders.values()))
    return {
        "folders": [account.render_folder(folder) for folder in folders],
        "count": len(account.folders),
    }


def create_folder(account: Account, body: Any) -> dict[str, Any]:
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise missing('Folder name is missing: send {"name": ...}')
    folder = Folder(account.next_id("folder"), name.strip())
    account.folders[folder.id] = folder
    return {"id": folder.id}


def list_lists(account: Account, query: dict[str, str]) -> dict[str, Any]:
    page = queries.read_page(query, default_limit=10, max_limit=50)
    contact_lists = page.take(list(account.lists.values()))
    return {
        "lists": [account.render_list(item) for item in contact_lists],
        "count": len(account.lists),
    }


def create_list(account: Account, body: Any) -> dict[str, Any]:
    """Create a list; both `name` and `folderId` are required (spec `createList`)."""
    body = body if isinstance(body, dict) else {}
    name, folder_id = body.get("name"), body.get("folderId")
    if not isinstance(name, str) or not name.strip():
        raise missing('List name is missing: send {"name": ..., "folderId": ...}')
    if folder_id is None:
        raise missing("folderId is missing: lists live in a folder; create one first")
    if not isinstance(folder_id, int) or folder_id not in account.folders:
        raise invalid(f"folderId {folder_id!r} does not exist; create the folder first")
    return {"id": add_list(account, name.strip(), folder_id).id}


def add_list(account: Account, name: str, folder_id: int) -> ContactList:
    contact_list = ContactList(account.next_id("list"), name, folder_id, account.now())
    account.lists[contact_list.id] = contact_list
    return contact_list


def get_list(account: Account, list_id: int) -> dict[str, Any]:
    return account.render_list_details(account.require_list(list_id))


def delete_list(account: Account, list_id: int) -> None:
    """Delete a list (`deleteList`, 204): its contacts stay, out of the list."""
    account.require_list(list_id)
    account.book.unlink_all(list_id, account.now())
    del account.lists[list_id]


def list_members(
    account: Account, list_id: int, query: dict[str, str]
) -> dict[str, Any]:
    """Contacts of a list (`getContactsFromList`): limit <= 500, modifiedSince."""
    account.require_list(list_id)
    page = queries.read_page(query, default_limit=50, max_limit=500)
    since = queries.read_since(query, "modifiedSince")
    members = [
        account.book.get(contact_id) for contact_id in account.book.members(list_id)
    ]
    if since is not None:
        members = [contact for contact in members if contact.modified_at > since]
    return {
        "contacts": [contact.render() for contact in page.take(members)],
        "count": len(members),
    }


def add_members(account: Account, list_id: int, body: Any) -> dict[str, Any]:
    """Add existing contacts to a list; 201 body `{"contacts": {success, failure}}`."""
    account.require_list(list_id)
    key, identifiers = _read_members(body)
    return _relink(account, list_id, key, identifiers, adding=True)


def remove_members(
    account: Account, list_id: int, body: Any, clock_now: float
) -> dict[str, Any]:
    """Remove contacts from a list; `{"all": true}` empties it as a process.

    The sandbox empties the list at once and records the process as completed
    (`clock_now` is the sandbox clock's reading, for the process's status).
    """
    account.require_list(list_id)
    if isinstance(body, dict) and body.get("all") is True:
        total = account.book.unlink_all(list_id, account.now())
        process = Process(
            id=account.next_id("process"),
            name=REMOVE_ALL_PROCESS,
            created_at=account.now(),
            queued_until=clock_now,
            due=clock_now,
            completed_at=account.now(),
            summary={"removed": total},
        )
        account.processes[process.id] = process
        return {"contacts": {"total": total, "processId": process.id}}
    key, identifiers = _read_members(body)
    return _relink(account, list_id, key, identifiers, adding=False)


def _read_members(body: Any) -> tuple[str, list[Any]]:
    keys = [key for key in _KEYS if isinstance(body, dict) and key in body]
    if not keys:
        raise missing("Send one of emails, ids or extIds (1 to 150 items)")
    if len(keys) > 1:
        raise invalid(f"Send only one of emails, ids or extIds; got {', '.join(keys)}")
    key = keys[0]
    identifiers = body[key]
    if not isinstance(identifiers, list) or not identifiers:
        raise missing(f"{key} must be a non-empty array")
    if len(identifiers) > MAX_MEMBERS_PER_CALL:
        raise out_of_range(
            f"{key} has {len(identifiers)} items; send at most "
            f"{MAX_MEMBERS_PER_CALL} per request, or use /contacts/import in bulk"
        )
    item_type, spelled = (int, "an integer") if key == "ids" else (str, "a string")
    if not all(
        isinstance(i, item_type) and not isinstance(i, bool) for i in identifiers
    ):
        raise invalid(f"every item of {key} must be {spelled}")
    return key, identifiers


def _relink(
    account: Account, list_id: int, key: str, identifiers: list[Any], adding: bool
) -> dict[str, Any]:
    success: list[Any] = []
    failure: list[Any] = []
    change = ContactChange(
        link=frozenset([list_id]) if adding else frozenset(),
        unlink=frozenset() if adding else frozenset([list_id]),
    )
    for identifier in identifiers:
        shown, contact = _resolve(account, key, identifier)
        if contact is None or (list_id in contact.list_ids) == adding:
            failure.append(shown)
            continue
        account.book.apply(contact, change, account.now())
        success.append(shown)
    if not success:
        state = "in" if adding else "removed from"
        raise invalid(f"Contact already {state} list and/or does not exist")
    # An empty array matches both branches of the spec's oneOf (email strings
    # or integer ids), so an empty failure list is left out.
    outcome: dict[str, Any] = {"success": success}
    if failure:
        outcome["failure"] = failure
    return {"contacts": outcome}


def _resolve(account: Account, key: str, identifier: Any) -> tuple[Any, Contact | None]:
    if key == "emails":
        email = values.normalize_email(identifier)
        return email, account.book.by_email(email)
    if key == "ids":
        return identifier, account.book.get(identifier)
    return identifier, account.book.by_ext_id(identifier)
