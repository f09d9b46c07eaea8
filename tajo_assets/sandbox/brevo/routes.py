"""The Brevo API v3 routes the sandbox serves, as plain functions of a call.

Each handler takes the shared `Context` and one `Call` (path parameters, query,
raw body) and returns a `Reply`; it runs in a worker thread, holds the account
lock while it touches state, and raises `BrevoError` for Brevo's error answers.
Authentication and rate limits are applied around handlers (see `sandbox`).
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tajo_assets.sandbox.brevo import (
    contact_requests,
    events,
    imports,
    lists,
    queries,
)
from tajo_assets.sandbox.brevo.attributes import parse_attribute
from tajo_assets.sandbox.brevo.errors import BrevoError, invalid
from tajo_assets.sandbox.brevo.processes import require_process
from tajo_assets.sandbox.brevo.state import Account

ACCOUNT_EMAIL = "sandbox@example.com"


@dataclass(frozen=True)
class Context:
    """What handlers share: the account, the clock, and how imports start."""

    account: Account
    clock: Callable[[], float]
    import_seconds: float
    start_import: Callable[[imports.ImportJob], None]


@dataclass(frozen=True)
class Call:
    path_params: dict[str, str]
    query: dict[str, str]
    query_lists: dict[str, list[str]]
    body: bytes
    base_url: str

    def json(self) -> Any:
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError as error:
            raise invalid(f"The request body is not valid JSON: {error}") from None


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def get_account(ctx: Context, call: Call) -> Reply:
    """`GET /account`: a fixed free-plan account (clients use it to check keys)."""
    return Reply(
        200,
        {
            "email": ACCOUNT_EMAIL,
            "firstName": "Sandbox",
            "lastName": "Account",
            "companyName": "tajo-assets local sandbox",
            "address": {
                "street": "1 Loopback Street",
                "city": "Localhost",
                "zipCode": "00000",
                "country": "Sandbox",
            },
            "plan": [{"type": "free", "credits": 300, "creditsType": "sendLimit"}],
            "relay": {
                "enabled": False,
                "data": {"userName": ACCOUNT_EMAIL, "relay": "127.0.0.1", "port": 587},
            },
        },
    )


def get_attributes(ctx: Context, call: Call) -> Reply:
    with ctx.account.lock:
        attributes = [a.render() for a in ctx.account.attributes.values()]
    return Reply(200, {"attributes": attributes})


def create_attribute(ctx: Context, call: Call) -> Reply:
    category = call.path_params["attributeCategory"]
    attribute = parse_attribute(
        category, call.path_params["attributeName"], call.json()
    )
    with ctx.account.lock:
        if attribute.name in ctx.account.attributes:
            raise BrevoError(
                400,
                "duplicate_parameter",
                f"Attribute {attribute.name} already exists; attribute names are "
                "unique whatever their case or category",
            )
        ctx.account.attributes[attribute.name] = attribute
    return Reply(201)


def get_folders(ctx: Context, call: Call) -> Reply:
    with ctx.account.lock:
        return Reply(200, lists.list_folders(ctx.account, call.query))


def create_folder(ctx: Context, call: Call) -> Reply:
    body = call.json()
    with ctx.account.lock:
        return Reply(201, lists.create_folder(ctx.account, body))


def get_lists(ctx: Context, call: Call) -> Reply:
    with ctx.account.lock:
        return Reply(200, lists.list_lists(ctx.account, call.query))


def create_list(ctx: Context, call: Call) -> Reply:
    body = call.json()
    with ctx.account.lock:
        return Reply(201, lists.create_list(ctx.account, body))


def get_list(ctx: Context, call: Call) -> Reply:
    list_id = queries.read_path_id(call.path_params["listId"], "listId")
    with ctx.account.lock:
        return Reply(200, lists.get_list(ctx.account, list_id))


def delete_list(ctx: Context, call: Call) -> Reply:
    list_id = queries.read_path_id(call.path_params["listId"], "listId")
    with ctx.account.lock:
        lists.delete_list(ctx.account, list_id)
    return Reply(204)


def get_list_contacts(ctx: Context, call: Call) -> Reply:
    list_id = queries.read_path_id(call.path_params["listId"], "listId")
    with ctx.account.lock:
        return Reply(200, lists.list_members(ctx.account, list_id, call.query))


def add_list_contacts(ctx: Context, call: Call) -> Reply:
    list_id = queries.read_path_id(call.path_params["listId"], "listId")
    body = call.json()
    with ctx.account.lock:
        return Reply(201, lists.add_members(ctx.account, list_id, body))


def remove_list_contacts(ctx: Context, call: Call) -> Reply:
    list_id = queries.read_path_id(call.path_params["listId"], "listId")
    body = call.json()
    with ctx.account.lock:
        return Reply(201, lists.remove_members(ctx.account, list_id, body, ctx.clock()))


def get_contacts(ctx: Context, call: Call) -> Reply:
    list_ids = call.query_lists.get("listIds", [])
    with ctx.account.lock:
        return Reply(
            200, contact_requests.list_contacts(ctx.account, call.query, list_ids)
        )


def get_contact(ctx: Context, call: Call) -> Reply:
    identifier = call.path_params["identifier"]
    with ctx.account.lock:
        return Reply(
            200,
            contact_requests.get_contact(
                ctx.account, identifier, call.query.get("identifierType")
            ),
        )


def create_contact(ctx: Context, call: Call) -> Reply:
    body = call.json()
    with ctx.account.lock:
        created = contact_requests.create_contact(ctx.account, body)
    return Reply(204) if created is None else Reply(201, created)


def update_contact(ctx: Context, call: Call) -> Reply:
    body = call.json()
    identifier = call.path_params["identifier"]
    with ctx.account.lock:
        contact_requests.update_contact(
            ctx.account, identifier, call.query.get("identifierType"), body
        )
    return Reply(204)


def delete_contact(ctx: Context, call: Call) -> Reply:
    identifier = call.path_params["identifier"]
    with ctx.account.lock:
        contact_requests.delete_contact(
            ctx.account, identifier, call.query.get("identifierType")
        )
    return Reply(204)


def update_batch(ctx: Context, call: Call) -> Reply:
    body = call.json()
    with ctx.account.lock:
        contact_requests.update_batch(ctx.account, body)
    return Reply(204)


def import_contacts(ctx: Context, call: Call) -> Reply:
    """`POST /contacts/import`: 202 `{"processId": n}`; a worker applies it later."""
    body = imports.read_import(call.body)
    with ctx.account.lock:
        job = imports.submit_import(ctx.account, body, ctx.clock(), ctx.import_seconds)
    ctx.start_import(job)
    return Reply(202, {"processId": job.process.id})


def get_process(ctx: Context, call: Call) -> Reply:
    process_id = queries.read_path_id(call.path_params["processId"], "processId")
    with ctx.account.lock:
        process = require_process(ctx.account.processes, process_id)
        return Reply(200, process.render(ctx.clock(), call.base_url))


def create_event(ctx: Context, call: Call) -> Reply:
    """`POST /events`: 204 when the event is valid, else 400 (see `events`)."""
    event = call.json()
    events.check_event(event)
    with ctx.account.lock:
        _record_events(ctx, [event])
    return Reply(204)


def create_batch_events(ctx: Context, call: Call) -> Reply:
    """`POST /events/batch`: the valid events are kept; 207 names the others."""
    batch = events.read_batch(call.json())
    status, body, accepted = events.batch_reply(batch)
    with ctx.account.lock:
        _record_events(ctx, [batch[index] for index in accepted])
    return Reply(status, body)


def _record_events(ctx: Context, accepted: list[dict]) -> None:
    account = ctx.account
    for event in accepted:
        contact_id = events.contact_of(account.book, event["identifiers"])
        account.events.append(events.ReceivedEvent(event, contact_id, account.now()))


Handler = Callable[[Context, Call], Reply]

# Order matters: fixed paths come before `/v3/contacts/{identifier}`.
ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/v3/account", get_account),
    ("GET", "/v3/contacts/attributes", get_attributes),
    (
        "POST",
        "/v3/contacts/attributes/{attributeCategory}/{attributeName}",
        create_attribute,
    ),
    ("GET", "/v3/contacts/folders", get_folders),
    ("POST", "/v3/contacts/folders", create_folder),
    ("GET", "/v3/contacts/lists", get_lists),
    ("POST", "/v3/contacts/lists", create_list),
    ("GET", "/v3/contacts/lists/{listId}", get_list),
    ("DELETE", "/v3/contacts/lists/{listId}", delete_list),
    ("GET", "/v3/contacts/lists/{listId}/contacts", get_list_contacts),
    ("POST", "/v3/contacts/lists/{listId}/contacts/add", add_list_contacts),
    ("POST", "/v3/contacts/lists/{listId}/contacts/remove", remove_list_contacts),
    ("POST", "/v3/contacts/batch", update_batch),
    ("POST", "/v3/contacts/import", import_contacts),
    ("GET", "/v3/contacts", get_contacts),
    ("POST", "/v3/contacts", create_contact),
    ("GET", "/v3/contacts/{identifier}", get_contact),
    ("PUT", "/v3/contacts/{identifier}", update_contact),
    ("DELETE", "/v3/contacts/{identifier}", delete_contact),
    ("GET", "/v3/processes/{processId}", get_process),
    ("POST", "/v3/events", create_event),
    ("POST", "/v3/events/batch", create_batch_events),
]
