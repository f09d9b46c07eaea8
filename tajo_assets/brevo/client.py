"""Brevo API v3 client: attributes, folders, lists, contacts and import processes.

Methods speak Brevo's domain; every call goes through `BrevoTransport`, which
paces it from Brevo's rate-limit headers, retries what is safe to retry and
translates failures into the `tajo_assets.brevo.errors` tree. INFO logs give
one line per unit of work with counts and durations, never emails, names or
the API key.
"""

import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

import httpx
import pydantic

from tajo_assets.brevo.errors import (
    BrevoConfigurationError,
    BrevoError,
    BrevoNotFoundError,
    BrevoProcessError,
    BrevoProcessTimeoutError,
    BrevoRequestError,
    BrevoUnavailableError,
)
from tajo_assets.brevo.events import (
    EventBatchOutcome,
    EventRefusal,
    read_full_answer,
    read_partial_answer,
)
from tajo_assets.brevo.imports import (
    BREVO_MAX_BODY_BYTES,
    encode_json,
    parse_rejection_report,
)
from tajo_assets.brevo.models import (
    Attribute,
    AttributeOption,
    Contact,
    ContactList,
    ContactPage,
    ContactRefusal,
    Folder,
    ImportResult,
    ListChangeResult,
    Process,
    RejectedContact,
)
from tajo_assets.brevo.pacing import Pacer
from tajo_assets.brevo.transport import (
    DEFAULT_BASE_URL,
    BrevoTransport,
    NotFound,
    unexpected,
)

log = logging.getLogger("tajo_assets.brevo")

DEFAULT_API_KEY_ENV = "BREVO_API_KEY"

# Brevo's page-size maximums (/contacts/lists, /contacts/folders; /contacts).
LIST_PAGE_SIZE = 50
CONTACT_PAGE_SIZE = 1000
# Brevo's maximum of identifiers per list add or remove call.
LIST_CHANGE_BATCH = 150
# Contacts per `POST /contacts/batch` call. Brevo documents no maximum; 100
# keeps a refused batch cheap to split and a call well under any body limit.
CONTACT_BATCH = 100
_UNKNOWN_INDEXES = re.compile(r"indexes?\s+([\d,\s]+)", re.IGNORECASE)
# A last guard for paging: 10,000 pages of 50 lists is far beyond any account.
MAX_PAGES = 10_000

ATTRIBUTE_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
# Categories whose attributes are defined by a type; calculated and global ones
# carry a formula instead.
TYPED_ATTRIBUTE_CATEGORIES = ("normal", "transactional", "category")
ATTRIBUTE_TYPES = (
    "text",
    "date",
    "float",
    "boolean",
    "id",
    "category",
    "multiple-choice",
    "user",
)

PROCESS_COMPLETED = "completed"
# Any other status, including ones Brevo may add, means "not finished yet".
PROCESS_FAILED = frozenset({"failed", "cancelled"})

Model = TypeVar("Model", bound=pydantic.BaseModel)


class BrevoClient:
    """A session with Brevo API v3 for one API key; use it as a context manager.

    `api_key_env` names where the key came from (an environment variable or
    setting); error messages name it instead of showing the key. Plain http is
    accepted only for a base URL on this machine (the sandbox). `pacer` may be
    shared with other clients of the same key so they spend one budget.
    """

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout_s: float = 30.0,
        pacer: Pacer | None = None,
        max_retries: int = 5,
        api_key_env: str = DEFAULT_API_KEY_ENV,
    ) -> None:
        self._transport = BrevoTransport(
            api_key,
            base_url,
            timeout_s=timeout_s,
            pacer=pacer or Pacer(),
            max_retries=max_retries,
            api_key_env=api_key_env,
        )
        self._call = self._transport.call
        self._pacer = self._transport.pacer
        # Set once POST /events/batch answered 404 or 405 (an older API):
        # later batches go event by event through POST /events.
        self.event_batches_unavailable = False

    def __repr__(self) -> str:
        base_url = str(self._transport.base_url)
        source = self._transport.api_key_env
        return f"BrevoClient(base_url={base_url!r}, api_key=<from {source}>)"

    def __enter__(self) -> "BrevoClient":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def requests_sent(self) -> int:
        """API requests this client sent, retries included."""
        return self._transport.requests_sent

    @property
    def bytes_sent(self) -> int:
        """Bytes of request bodies this client sent, retries included."""
        return self._transport.bytes_sent

    def close(self) -> None:
        self._transport.close()

    # Account

    def check_key(self) -> None:
        """Confirm Brevo accepts the API key, with one call from the hourly bucket.

        Raises `BrevoAuthError` naming `api_key_env` when Brevo refuses the key.
        """
        self._call("GET", "/account", action="read the account")
        log.info("Brevo accepted the API key from %s", self._transport.api_key_env)

    # Attributes

    def get_attributes(self) -> list[Attribute]:
        """Every contact attribute of the account."""
        action = "read the contact attributes"
        data = self._call("GET", "/contacts/attributes", action=action)
        attributes = _parse_items(Attribute, data, "attributes", action)
        log.info("Brevo contact attributes read: %d", len(attributes))
        return attributes

    def create_attribute(
        self,
        name: str,
        type: str,
        category: str = "normal",
        enumeration: Sequence[AttributeOption] | None = None,
    ) -> None:
        """Create a contact attribute; `enumeration` only for `category` attributes.

        Not retried after an ambiguous failure (5xx, timeout): a second attempt
        would fail on the attribute the first one may have created.
        """
        _check_attribute(name, type, category, enumeration)
        body: dict[str, Any] = {"type": type}
        if enumeration:
            body["enumeration"] = [option.model_dump() for option in enumeration]
        self._call(
            "POST",
            "/contacts/attributes/{category}/{name}",
            path_params={"category": category, "name": name},
            body=body,
            action=f"create the {category} attribute {name}",
            idempotent=False,
        )
        log.info("Brevo attribute created: %s (%s, %s)", name, category, type)

    # Folders and lists

    def get_folders(self) -> list[Folder]:
        """Every folder of contact lists, oldest first."""
        folders = list(self._paginate("/contacts/folders", "folders", Folder))
        log.info("Brevo folders read: %d", len(folders))
        return folders

    def create_folder(self, name: str) -> int:
        """Create a folder; returns its id. Not retried after an ambiguous failure."""
        data = self._call(
            "POST",
            "/contacts/folders",
            body={"name": name},
            action="create a folder",
            idempotent=False,
        )
        folder_id = _created_id(data, "id", "create a folder")
        log.info("Brevo folder created: id %d", folder_id)
        return folder_id

    def get_lists(self) -> list[ContactList]:
        """Every contact list of the account, oldest first."""
        lists = list(self._paginate("/contacts/lists", "lists", ContactList))
        log.info("Brevo lists read: %d", len(lists))
        return lists

    def get_list(self, list_id: int) -> ContactList:
        """One list; raises `BrevoNotFoundError` when Brevo has no list `list_id`."""
        action = f"read list {list_id}"
        data = self._call(
            "GET",
            "/contacts/lists/{list_id}",
            path_params={"list_id": list_id},
            action=action,
            not_found=_unknown_list(list_id),
        )
        return _parse(ContactList, data, action)

    def create_list(self, name: str, folder_id: int) -> int:
        """Create a list in folder `folder_id` and return its id.

        Not retried after an ambiguous failure (5xx, timeout), which could
        create the list twice; `find_or_create_list` finds it on a rerun.
        """
        action = f"create a list in folder {folder_id}"
        data = self._call(
            "POST",
            "/contacts/lists",
            body={"name": name, "folderId": folder_id},
            action=action,
            idempotent=False,
        )
        list_id = _created_id(data, "id", action)
        log.info("Brevo list created: id %d in folder %d", list_id, folder_id)
        return list_id

    def find_or_create_list(self, name: str, folder_name: str) -> ContactList:
        """The list called `name` in the folder called `folder_name`, made if missing.

        Names match exactly. Raises `BrevoConfigurationError` when two folders,
        or two lists of the folder, share the name, since either could be meant.
        """
        found = self.find_lists([name], folder_name, create=True)[name]
        assert found is not None
        return found

    def find_lists(
        self, names: Sequence[str], folder_name: str, *, create: bool
    ) -> dict[str, ContactList | None]:
        """The lists called `names` in the folder `folder_name`, by name.

        With `create`, missing ones (and the folder) are made; without, they
        map to None and nothing is written. Reads the folders and lists once,
        whatever the number of names; ambiguous names raise as in
        `find_or_create_list`.
        """
        folder = _one_named(self.get_folders(), folder_name, "folders")
        if folder is None and not create:
            return dict.fromkeys(names)
        folder_id = folder.id if folder else self.create_folder(folder_name)
        in_folder = [lst for lst in self.get_lists() if lst.folder_id == folder_id]
        found: dict[str, ContactList | None] = {}
        for name in names:
            match = _one_named(in_folder, name, f"lists in folder {folder_id}")
            if match is None and create:
                match = self.get_list(self.create_list(name, folder_id))
            found[name] = match
        return found

    # Contacts

    def get_contacts(self, limit: int = 50, offset: int = 0) -> ContactPage:
        """One page of contacts, oldest first (`limit` from 1 to 1000)."""
        if not 1 <= limit <= CONTACT_PAGE_SIZE:
            raise ValueError(f"limit must be 1 to {CONTACT_PAGE_SIZE}, got {limit}")
        action = "read contacts"
        data = self._call(
            "GET",
            "/contacts",
            params={"limit": limit, "offset": offset, "sort": "asc"},
            action=action,
        )
        return _parse(ContactPage, data, action)

    def iter_contacts(self, page_size: int = CONTACT_PAGE_SIZE) -> Iterator[Contact]:
        """Every contact, oldest first, reading `page_size` (1 to 1000) per call.

        Oldest-first paging means contacts created meanwhile land after the ones
        read, so none is skipped or repeated by the shift.
        """
        if not 1 <= page_size <= CONTACT_PAGE_SIZE:
            raise ValueError(
                f"page_size must be 1 to {CONTACT_PAGE_SIZE}, got {page_size}"
            )
        count = 0
        for contact in self._paginate("/contacts", "contacts", Contact, page_size):
            count += 1
            yield contact
        log.info("Brevo contacts read: %d", count)

    def get_contact(
        self, identifier: str | int, identifier_type: str | None = None
    ) -> Contact:
        """One contact by email or contact id (or any identifier with its type).

        `identifier_type` is Brevo's: email_id, contact_id, ext_id, phone_id,
        whatsapp_id or landline_number_id. Raises `BrevoNotFoundError` when no
        contact matches.
        """
        action = "read a contact"
        data = self._call(
            "GET",
            "/contacts/{identifier}",
            path_params={"identifier": identifier},
            params={"identifierType": identifier_type} if identifier_type else None,
            action=action,
            not_found=NotFound(
                "Brevo has no contact with that identifier",
                "check the identifier and its identifier type",
            ),
        )
        return _parse(Contact, data, action)

    def import_contacts(
        self,
        json_body: Sequence[Mapping[str, Any]],
        list_ids: Sequence[int],
        *,
        update_existing: bool = True,
        empty_attributes: bool = False,
        disable_notification: bool = True,
    ) -> int:
        """Start one import of `json_body` into `list_ids`; returns its process id.

        Keep each body within the byte budget with `split_import_bodies`. The
        import is an upsert, so it is retried after 5xx and timeouts.
        `empty_attributes=True` lets empty values erase stored ones, and needs
        `update_existing`. `disable_notification` spares the account owner an
        email per import.
        """
        _check_import(json_body, list_ids, update_existing, empty_attributes)
        content = encode_json(
            {
                "jsonBody": list(json_body),
                "listIds": list(list_ids),
                "updateExistingContacts": update_existing,
                "emptyContactsAttributes": empty_attributes,
                "disableNotification": disable_notification,
            }
        )
        if len(content) > BREVO_MAX_BODY_BYTES:
            raise BrevoRequestError(
                f"the import request would be {len(content)} bytes, over Brevo's "
                f"{BREVO_MAX_BODY_BYTES}; split its contacts with split_import_bodies "
                "and contacts_budget"
            )
        started = self._pacer.clock()
        data = self._call(
            "POST", "/contacts/import", content=content, action="import contacts"
        )
        process_id = _created_id(data, "processId", "import contacts")
        log.info(
            "Brevo import submitted: process %d, %d contacts, %d bytes, "
            "lists %s, %.2f s",
            process_id,
            len(json_body),
            len(content),
            list(list_ids),
            self._pacer.clock() - started,
        )
        return process_id

    def get_process(self, process_id: int) -> Process:
        """One background process; `/processes` counts in the hourly bucket."""
        action = f"read process {process_id}"
        data = self._call(
            "GET",
            "/processes/{process_id}",
            path_params={"process_id": process_id},
            action=action,
            not_found=NotFound(
                f"Brevo has no process {process_id}",
                "use the id import_contacts returned, with the API key of the same "
                "account",
            ),
        )
        return _parse(Process, data, action)

    def wait_for_import(
        self,
        process_id: int,
        *,
        deadline_s: float,
        first_poll_s: float = 0.5,
        max_poll_interval_s: float = 60.0,
        poll_at_once: bool = False,
    ) -> ImportResult:
        """Poll an import process until it completes, at most `deadline_s` seconds.

        Polls start `first_poll_s` after the call (at once with `poll_at_once`,
        for a process likely done already) and double up to
        `max_poll_interval_s`, since `/processes` shares the small hourly budget
        of Brevo's other endpoints (100 requests/hour on the General tier).
        Once half of that is spent, each process being waited for on the pacer
        is polled at most once per its share of the hour (`Pacer.poll_interval_s`).
        Returns the rows Brevo rejected. Raises `BrevoProcessError` when the
        process fails or is cancelled and `BrevoProcessTimeoutError` with the
        last status when the deadline passes first.
        """
        if deadline_s <= 0 or first_poll_s <= 0:
            raise ValueError("deadline_s and first_poll_s must be positive")
        with self._pacer.polling(f"/processes/{process_id}"):
            process, polls, started = self._poll_until_done(
                process_id, deadline_s, first_poll_s, max_poll_interval_s, poll_at_once
            )
        result = self._import_result(process)
        log.info(
            "Brevo import process %d completed after %.1f s and %d polls: %s",
            process_id,
            self._pacer.clock() - started,
            polls,
            _rejections_summary(result),
        )
        return result

    def update_contacts(
        self, contacts: Sequence[Mapping[str, Any]]
    ) -> list[ContactRefusal]:
        """Update existing contacts with `POST /contacts/batch`; create none.

        Each item names its contact by exactly one of `email`, `sms` or `id`
        and carries `attributes`. Brevo applies a batch all or nothing: an
        unknown contact fails it with 404 naming the indexes, a bad value with
        400 naming nothing. The batch is then sent again without the named
        items, or split in halves until the bad item stands alone, so only the
        items Brevo refuses are returned (by their index in `contacts`), with
        Brevo's code and message. Updates are idempotent, so calls are retried
        after 5xx and timeouts.
        """
        refused: list[ContactRefusal] = []
        waiting = [list(range(len(contacts)))]
        while waiting:
            part = waiting.pop()
            for start in range(0, len(part), CONTACT_BATCH):
                chunk = part[start : start + CONTACT_BATCH]
                waiting += self._update_batch(contacts, chunk, refused)
        refused.sort(key=lambda refusal: refusal.index)
        return refused

    def update_contact(
        self, identifier: str, identifier_type: str, attributes: Mapping[str, Any]
    ) -> ContactRefusal | None:
        """Update one existing contact (`PUT /contacts/{identifier}`); create none.

        Returns Brevo's refusal (index 0) when the contact is unknown or a
        value is refused, None when Brevo applied the update.
        """
        action = "update a contact"
        try:
            self._call(
                "PUT",
                "/contacts/{identifier}",
                path_params={"identifier": identifier},
                params={"identifierType": identifier_type},
                body={"attributes": dict(attributes)},
                action=action,
            )
        except (BrevoNotFoundError, BrevoRequestError) as error:
            return ContactRefusal(0, error.code or "", error.message or str(error))
        return None

    def _update_batch(
        self,
        contacts: Sequence[Mapping[str, Any]],
        part: list[int],
        refused: list[ContactRefusal],
    ) -> list[list[int]]:
        """Send one batch; return the parts still to send after a refusal."""
        started = self._pacer.clock()
        try:
            self._call(
                "POST",
                "/contacts/batch",
                body={"contacts": [contacts[i] for i in part]},
                action="update contacts",
                not_found=NotFound(
                    "Brevo has no contact for some items of the batch",
                    "those contacts are reported as rejected",
                ),
            )
        except (BrevoNotFoundError, BrevoRequestError) as error:
            return _isolate_refusals(part, error, refused)
        log.info(
            "Brevo contacts updated: %d in one batch, %.2f s",
            len(part),
            self._pacer.clock() - started,
        )
        return []

    def add_contacts_to_list(
        self,
        list_id: int,
        *,
        emails: Sequence[str] | None = None,
        ext_ids: Sequence[str] | None = None,
        ids: Sequence[int] | None = None,
    ) -> ListChangeResult:
        """Add existing contacts to a list, by exactly one kind of identifier.

        Sent in calls of at most 150 identifiers; `failure` collects those Brevo
        reports as already in the list or unknown. Adding is idempotent, so it
        is retried after 5xx and timeouts.
        """
        return self._change_list("add", list_id, emails, ext_ids, ids)

    def remove_contacts_from_list(
        self,
        list_id: int,
        *,
        emails: Sequence[str] | None = None,
        ext_ids: Sequence[str] | None = None,
        ids: Sequence[int] | None = None,
    ) -> ListChangeResult:
        """Remove contacts from a list, like `add_contacts_to_list` in reverse.

        `failure` collects the identifiers Brevo reports as not in the list or
        unknown.
        """
        return self._change_list("remove", list_id, emails, ext_ids, ids)

    # Events

    def send_event_batch(
        self, events: Sequence[Mapping[str, Any]]
    ) -> EventBatchOutcome:
        """Send events with one `POST /events/batch`; Brevo's verdict per event.

        Never sent twice: event posts are not retried after a 5xx or a
        timeout (Brevo may have stored them), only after a 429. Such a batch
        comes back `unconfirmed` with the error in `failure`, not raised, so
        the caller can record it first. Without the batch endpoint (404 or
        405), and for a batch Brevo refused whole (400: nothing stored), the
        events go one by one through `POST /events`.
        """
        started = self._pacer.clock()
        outcome = None
        if not self.event_batches_unavailable:
            outcome = self._post_event_batch(events)
        if outcome is None:
            outcome = self._post_events_one_by_one(events)
        log.info(
            "Brevo events: %d sent%s, %d accepted, %d refused, %d unconfirmed, %.2f s",
            len(events) - len(outcome.not_sent),
            " one by one" if self.event_batches_unavailable else "",
            len(outcome.accepted),
            len(outcome.refused),
            len(outcome.unconfirmed),
            self._pacer.clock() - started,
        )
        return outcome

    def _post_event_batch(
        self, events: Sequence[Mapping[str, Any]]
    ) -> EventBatchOutcome | None:
        """One batch call; None when the events must go one by one instead."""
        action = f"create a batch of {len(events)} events"
        try:
            status, data = self._transport.exchange(
                "POST",
                "/events/batch",
                body={"events": list(events)},
                action=action,
                idempotent=False,
            )
        except (BrevoNotFoundError, BrevoRequestError) as error:
            if error.status in (404, 405):
                self.event_batches_unavailable = True
                log.warning(
                    "Brevo answered %s to POST /events/batch; sending events one "
                    "by one through POST /events from now on",
                    error.status,
                )
                return None
            if error.status == 400:
                # Refused whole, so nothing was stored: each event on its own
                # gets its own answer.
                return None
            return _batch_failed(len(events), error, applied=False)
        except BrevoUnavailableError as error:
            return _batch_failed(len(events), error, applied=True)
        except BrevoError as error:
            return _batch_failed(len(events), error, applied=False)
        if status == 207:
            return read_partial_answer(data, len(events))
        return read_full_answer(data, len(events))

    def _post_events_one_by_one(
        self, events: Sequence[Mapping[str, Any]]
    ) -> EventBatchOutcome:
        outcome = EventBatchOutcome()
        for index, event in enumerate(events):
            try:
                self._call(
                    "POST",
                    "/events",
                    body=dict(event),
                    action="create an event",
                    idempotent=False,
                )
            except BrevoRequestError as error:
                outcome.refused.append(
                    EventRefusal(index, error.code or "", error.message or str(error))
                )
                continue
            except BrevoError as error:
                ambiguous = isinstance(error, BrevoUnavailableError)
                (outcome.unconfirmed if ambiguous else outcome.not_sent).append(index)
                outcome.not_sent += range(index + 1, len(events))
                outcome.failure = error
                return outcome
            outcome.accepted.append(index)
        return outcome

    # List changes, paging and import helpers

    def _change_list(
        self,
        verb: str,
        list_id: int,
        emails: Sequence[str] | None,
        ext_ids: Sequence[str] | None,
        ids: Sequence[int] | None,
    ) -> ListChangeResult:
        key, identifiers = _identifier_kind(emails=emails, extIds=ext_ids, ids=ids)
        success: list[str | int] = []
        failure: list[str | int] = []
        for start in range(0, len(identifiers), LIST_CHANGE_BATCH):
            batch = list(identifiers[start : start + LIST_CHANGE_BATCH])
            added, refused = self._change_list_batch(verb, list_id, key, batch)
            success.extend(added)
            failure.extend(refused)
        return ListChangeResult(list_id, tuple(success), tuple(failure))

    def _change_list_batch(
        self, verb: str, list_id: int, key: str, batch: list[str | int]
    ) -> tuple[list, list]:
        started = self._pacer.clock()
        success, failure = self._post_list_change(verb, list_id, key, batch)
        log.info(
            "Brevo list %d %s: %d sent, %d applied, %d not applied, %.2f s",
            list_id,
            verb,
            len(batch),
            len(success),
            len(failure),
            self._pacer.clock() - started,
        )
        return success, failure

    def _post_list_change(
        self, verb: str, list_id: int, key: str, batch: list[str | int]
    ) -> tuple[list, list]:
        action = f"{verb} contacts of list {list_id}"
        try:
            data = self._call(
                "POST",
                f"/contacts/lists/{{list_id}}/contacts/{verb}",
                path_params={"list_id": list_id},
                body={key: batch},
                action=action,
                not_found=_unknown_list(list_id),
            )
        except BrevoRequestError as error:
            if not _nothing_applied(error):
                raise
            return [], list(batch)
        outcome = data.get("contacts") if isinstance(data, dict) else None
        if not isinstance(outcome, dict):
            raise unexpected(action, "no 'contacts' object")
        return list(outcome.get("success") or []), list(outcome.get("failure") or [])

    def _paginate(
        self,
        route: str,
        key: str,
        model: type[Model],
        page_size: int = LIST_PAGE_SIZE,
    ) -> Iterator[Model]:
        """Every item of an offset-paged route, oldest first.

        Stops on a short page or when `count` is reached; a page that repeats
        the previous one raises rather than looping.
        """
        action = f"read {key}"
        offset, previous_ids = 0, None
        for _ in range(MAX_PAGES):
            params = {"limit": page_size, "offset": offset, "sort": "asc"}
            data = self._call("GET", route, params=params, action=action)
            items = _parse_items(model, data, key, action, required=False)
            ids = [getattr(item, "id", None) for item in items]
            if items and ids == previous_ids:
                raise unexpected(action, f"the page at offset {offset} repeats")
            yield from items
            offset += len(items)
            total = data.get("count")
            if len(items) < page_size or (isinstance(total, int) and offset >= total):
                return
            previous_ids = ids
        raise unexpected(action, f"more than {MAX_PAGES} pages")

    def _poll_until_done(
        self,
        process_id: int,
        deadline_s: float,
        first_poll_s: float,
        max_poll_interval_s: float,
        poll_at_once: bool = False,
    ) -> tuple[Process, int, float]:
        """The completed process, the polls it took and when polling started."""
        path = f"/processes/{process_id}"
        started = self._pacer.clock()
        interval_s, polls, status = first_poll_s, 0, "not polled yet"
        while True:
            planned_s = 0.0 if poll_at_once and polls == 0 else interval_s
            wait_s = max(planned_s, self._pacer.poll_interval_s(path))
            self._pause_before_poll(process_id, started, deadline_s, wait_s, status)
            process = self.get_process(process_id)
            polls, status = polls + 1, process.status
            if status == PROCESS_COMPLETED:
                return process, polls, started
            if status in PROCESS_FAILED:
                raise _process_failed(process)
            if planned_s:
                interval_s = min(interval_s * 2, max_poll_interval_s)

    def _pause_before_poll(
        self,
        process_id: int,
        started: float,
        deadline_s: float,
        interval_s: float,
        status: str,
    ) -> None:
        now = self._pacer.clock()
        left_s = started + deadline_s - now
        held_s = self._pacer.delay_s(f"/processes/{process_id}")
        if left_s <= 0 or held_s > left_s:
            why = (
                ""
                if left_s <= 0
                else " (the rate-limit window of /processes resets later)"
            )
            raise BrevoProcessTimeoutError(
                f"Brevo import process {process_id} was still '{status}' after "
                f"{now - started:.0f} s and cannot be seen completed within the "
                f"{deadline_s:.0f} s deadline{why}; its contacts are not confirmed: "
                "rerun the sync later (an import is an upsert, so sending them "
                "again is safe) or allow a longer deadline",
                process_id=process_id,
                process_status=status,
            )
        if interval_s > 0:
            self._pacer.sleep(min(interval_s, left_s))

    def _import_result(self, process: Process) -> ImportResult:
        """The rows the reports of a completed import list, or why some are unknown."""
        details = (process.info or {}).get("import")
        if not isinstance(details, dict):
            # Without info.import there is no telling which rows Brevo refused,
            # so none of the import's rows may count as acknowledged.
            unknown = "Brevo's process status carried no info.import reports"
            return ImportResult(process.id, process.status, (), unknown)
        reports = details
        rejected: list[RejectedContact] = []
        problems: list[str] = []
        for kind, report in reports.items():
            if not report:
                continue
            if isinstance(report, str):
                rows, problem = self._read_rejection_report(kind, report)
                rejected.extend(rows)
                problems.extend([problem] if problem else [])
            else:
                # Older API versions gave counts instead of reports to download.
                problems.append(f"Brevo counted {report} {kind} but sent no report")
        problem = "; ".join(problems) or None
        return ImportResult(process.id, process.status, tuple(rejected), problem)

    def _read_rejection_report(
        self, kind: str, url: str
    ) -> tuple[tuple[RejectedContact, ...], str | None]:
        """Download and parse one report of rejected rows, or say why it failed."""
        # The URL may carry an access token: neither the logs nor errors show it.
        try:
            response = self._transport.download(url)
            response.raise_for_status()
            return parse_rejection_report(response.text, kind), None
        except httpx.HTTPStatusError as error:
            status = error.response.status_code
            problem = f"the {kind} report answered HTTP {status}"
        except (httpx.HTTPError, BrevoConfigurationError) as error:
            problem = f"the {kind} report could not be read ({type(error).__name__})"
        except ValueError as error:
            problem = str(error)
        log.warning("Brevo import rejections unknown: %s", problem)
        return (), problem


# Checks of what callers pass in


def _check_attribute(
    name: str,
    type: str,
    category: str,
    enumeration: Sequence[AttributeOption] | None,
) -> None:
    if not ATTRIBUTE_NAME.fullmatch(name):
        raise BrevoRequestError(
            f"the attribute name {name!r} is not one Brevo accepts; use upper-case "
            "letters, digits and _, starting with a letter (for example LTV_SCORE)"
        )
    if category not in TYPED_ATTRIBUTE_CATEGORIES:
        raise BrevoRequestError(
            f"attribute category {category!r} cannot be created here; use one of "
            f"{', '.join(TYPED_ATTRIBUTE_CATEGORIES)} (calculated and global "
            "attributes hold formulas: create them in Brevo)"
        )
    if type not in ATTRIBUTE_TYPES:
        raise BrevoRequestError(
            f"attribute type {type!r} is not a Brevo type; use one of "
            f"{', '.join(ATTRIBUTE_TYPES)}"
        )
    if enumeration and category != "category":
        raise BrevoRequestError(
            f"attribute {name} has an enumeration but category {category!r}; "
            "only category attributes take an enumeration"
        )


def _check_import(
    json_body: Sequence[Mapping[str, Any]],
    list_ids: Sequence[int],
    update_existing: bool,
    empty_attributes: bool,
) -> None:
    if not json_body:
        raise ValueError("an import needs at least one contact in json_body")
    if not list_ids:
        raise BrevoRequestError(
            "an import needs the ids of the lists to import into (list_ids); "
            "find or create the destination list first"
        )
    if empty_attributes and not update_existing:
        raise BrevoRequestError(
            "empty_attributes=True needs update_existing=True: Brevo only erases "
            "attribute values of contacts it updates"
        )


def _identifier_kind(**given: Sequence[str | int] | None) -> tuple[str, Sequence]:
    chosen = [(key, values) for key, values in given.items() if values is not None]
    if len(chosen) != 1:
        raise ValueError(
            "pass exactly one of emails, ext_ids or ids; Brevo changes a list by "
            "one kind of identifier per call"
        )
    return chosen[0]


# Reading Brevo's answers


def _batch_failed(size: int, error: BrevoError, *, applied: bool) -> EventBatchOutcome:
    """A batch stopped by `error`: unconfirmed if Brevo may have stored it."""
    indexes = list(range(size))
    if applied:
        return EventBatchOutcome(unconfirmed=indexes, failure=error)
    return EventBatchOutcome(not_sent=indexes, failure=error)


def _parse(model: type[Model], data: Any, action: str) -> Model:
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as error:
        raise unexpected(
            action, f"an unexpected shape ({error.error_count()} errors)"
        ) from error


def _parse_items(
    model: type[Model], data: Any, key: str, action: str, required: bool = True
) -> list[Model]:
    if not isinstance(data, dict) or (required and key not in data):
        raise unexpected(action, f"no {key!r} array")
    # Brevo leaves the array out when there is nothing to list.
    return [_parse(model, item, action) for item in data.get(key) or []]


def _created_id(data: Any, key: str, action: str) -> int:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, int) or isinstance(value, bool):
        raise unexpected(action, f"no integer {key!r}")
    return value


def _nothing_applied(error: BrevoRequestError) -> bool:
    """Whether a list change failed only because no identifier could apply.

    Brevo answers 400 "Contact already in list and/or does not exist" instead
    of 201 when no identifier of the call applied (reference section 2,
    sendinblue/APIv3-php-library#134): every identifier then failed.
    """
    return error.status == 400 and "does not exist" in (error.message or "").lower()


def _isolate_refusals(
    part: list[int], error: BrevoNotFoundError | BrevoRequestError, refused: list
) -> list[list[int]]:
    """What to send again after Brevo refused the batch `part` as a whole.

    A 404 names the unknown contacts by their 0-based index in the batch
    (reference section 7, row 1): those are refused and the rest is sent
    again. Any other refusal names no item, so the batch is halved until the
    item at fault stands alone.
    """
    if error.status not in (400, 404, 422):
        raise error
    code, message = error.code or "", error.message or str(error)
    named = _named_indexes(error, len(part)) if error.status == 404 else None
    if named:
        # Brevo's message lists every unknown index of the batch; each refused
        # contact gets a message of its own instead.
        missing = "Brevo has no contact with this identifier"
        refused += [ContactRefusal(part[i], code, missing) for i in sorted(named)]
        rest = [index for i, index in enumerate(part) if i not in named]
        return [rest] if rest else []
    if len(part) == 1:
        refused.append(ContactRefusal(part[0], code, message))
        return []
    middle = len(part) // 2
    return [part[middle:], part[:middle]]


def _named_indexes(error: BrevoError, size: int) -> set[int] | None:
    """The batch indexes a 404 "No contact found for indexes 3,4" names."""
    found = _UNKNOWN_INDEXES.search(error.message or "")
    if found is None:
        return None
    indexes = {int(n) for n in re.findall(r"\d+", found.group(1))}
    return indexes if indexes and all(0 <= i < size for i in indexes) else None


def _rejections_summary(result: ImportResult) -> str:
    if result.rejections_unknown:
        return f"rows were rejected but unknown: {result.rejection_report_error}"
    return f"{len(result.rejected)} rows rejected"


# Building errors


def _unknown_list(list_id: int) -> NotFound:
    return NotFound(
        f"Brevo has no list {list_id}",
        "check the list id in the sync's destination, or name the list instead "
        "so the sync finds or creates it",
    )


def _process_failed(process: Process) -> BrevoProcessError:
    reason = f" ({process.error})" if process.error else ""
    return BrevoProcessError(
        f"Brevo import process {process.id} ended '{process.status}'{reason}; none "
        "of its contacts are confirmed: check the import in Brevo's contact import "
        "history, fix the cause and rerun the sync",
        process_id=process.id,
        process_status=process.status,
    )


def _one_named(
    items: Sequence[Folder] | Sequence[ContactList], name: str, kind: str
) -> Any:
    """The item called `name`, None if there is none; `kind` is a plural noun."""
    matches = [item for item in items if item.name == name]
    if len(matches) > 1:
        ids = ", ".join(str(item.id) for item in matches)
        raise BrevoConfigurationError(
            f"Brevo has {len(matches)} {kind} named {name!r} (ids {ids}); rename "
            "all but one in Brevo, or configure the destination list by id"
        )
    return matches[0] if matches else None
