"""Brevo's Events API in the sandbox: validate events and keep what was received.

Sources, for each rule:

- `POST /events` answers 204, or 400 with the `{code, message}` error body
  (spec `paths./events.post`). An event has `event_name` (required; at most
  255 characters of letters, digits, `-` and `_`), `identifiers` (required,
  at least one of `email_id`, `phone_id`, `whatsapp_id`,
  `landline_number_id`, `ext_id`), `event_date` (an ISO-8601 timestamp with
  its offset, e.g. `2024-01-24T17:39:57+01:00`), `contact_properties` (string
  or integer values) and `event_properties` (keys with the same rule as
  names, at most 50 KB) (spec `components.schemas.event`; reference
  brevo_api.md section 4).
- `POST /events/batch` takes `{"events": [...]}` of the same items and answers
  2xx `{"message", "count"}` when every event is valid, and 207 with "a
  breakdown of successful and failed events, including per-event error
  messages" when some fail validation (developers.brevo.com changelog
  2026-03-03 and reference/create-batch-events). The field names of that
  breakdown are not published in anything we could read, so the sandbox
  picks them: `{"message", "count", "failed_count", "successful":
  [{"index"}], "failed": [{"index", "code", "message"}]}`, indexes counting
  from 0 in the request's `events`. The client (tajo_assets.brevo.events)
  reads this shape and refuses to guess at any other. A body that is not an
  object with an `events` array (or an empty one) is refused whole with 400.
- An identifier Brevo has no contact for: Brevo attributes events to
  contacts by identifier; the sandbox records the event with the id of the
  matching contact, or none, and never creates or changes a contact (it does
  not apply `contact_properties` either). Tests read what arrived through
  `BrevoSandbox.events()`.
"""

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from tajo_assets.sandbox.brevo.errors import BrevoError, invalid, missing

NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
IDENTIFIERS = ("email_id", "phone_id", "whatsapp_id", "landline_number_id", "ext_id")
MAX_EVENT_PROPERTIES_BYTES = 50 * 1024
_CONTACT_LOOKUP = {"email_id": "by_email", "ext_id": "by_ext_id", "phone_id": "by_sms"}


@dataclass(frozen=True)
class ReceivedEvent:
    """One event the sandbox accepted, as sent, with the contact it names."""

    event: dict[str, Any]
    contact_id: int | None
    received_at: dt.datetime

    def snapshot(self) -> dict[str, Any]:
        return {**self.event, "contactId": self.contact_id}


def read_batch(body: Any) -> list[Any]:
    """The `events` array of a batch body; anything else is refused whole."""
    if not isinstance(body, dict) or not isinstance(body.get("events"), list):
        raise invalid('The body must be an object with an "events" array')
    if not body["events"]:
        raise missing('"events" is empty; send at least one event')
    return body["events"]


def check_event(event: Any) -> None:
    """Raise Brevo's 400 for the first rule `event` breaks."""
    if not isinstance(event, dict):
        raise invalid("An event must be an object")
    _check_name(event.get("event_name"))
    _check_identifiers(event.get("identifiers"))
    if "event_date" in event:
        _check_date(event["event_date"])
    if "contact_properties" in event:
        _check_contact_properties(event["contact_properties"])
    if "event_properties" in event:
        _check_event_properties(event["event_properties"])


def batch_reply(events: list[Any]) -> tuple[int, dict[str, Any], list[int]]:
    """Validate each event of a batch: (status, body, indexes of valid events)."""
    accepted, failed = [], []
    for index, event in enumerate(events):
        try:
            check_event(event)
        except BrevoError as error:
            failed.append(
                {"index": index, "code": error.code, "message": error.message}
            )
            continue
        accepted.append(index)
    if not failed:
        return 202, {"message": "Events accepted", "count": len(accepted)}, accepted
    body = {
        "message": f"{len(failed)} of {len(events)} events failed validation",
        "count": len(accepted),
        "failed_count": len(failed),
        "successful": [{"index": index} for index in accepted],
        "failed": failed,
    }
    return 207, body, accepted


def contact_of(book: Any, identifiers: dict[str, str]) -> int | None:
    """The id of the contact an event's identifiers name, if the account has it."""
    for name, lookup in _CONTACT_LOOKUP.items():
        value = identifiers.get(name)
        if isinstance(value, str):
            found = getattr(book, lookup)(
                value.strip().lower() if name == "email_id" else value
            )
            if found is not None:
                return found.id
    return None


def _check_name(name: Any) -> None:
    if name is None:
        raise missing("event_name is required")
    if not isinstance(name, str) or not NAME.match(name):
        raise invalid(
            f"event_name {name!r} is invalid: use at most 255 letters, digits, "
            "'-' and '_'"
        )


def _check_identifiers(identifiers: Any) -> None:
    if identifiers is None:
        raise missing("identifiers is required")
    if not isinstance(identifiers, dict):
        raise invalid("identifiers must be an object")
    known = {k: v for k, v in identifiers.items() if k in IDENTIFIERS}
    unknown = sorted(set(identifiers) - set(IDENTIFIERS))
    if unknown:
        raise invalid(f"identifiers has unknown keys: {', '.join(unknown)}")
    if not known:
        raise missing(f"identifiers needs at least one of {', '.join(IDENTIFIERS)}")
    for key, value in known.items():
        if not isinstance(value, str) or not value.strip():
            raise invalid(f"identifiers.{key} must be a non-empty string")


def _check_date(value: Any) -> None:
    if not isinstance(value, str):
        raise invalid("event_date must be a string")
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid(f"event_date {value!r} is not an ISO-8601 timestamp") from None
    if moment.tzinfo is None:
        raise invalid(
            f"event_date {value!r} has no offset; give one, e.g. "
            "2024-01-24T17:39:57+01:00"
        )


def _check_contact_properties(properties: Any) -> None:
    if not isinstance(properties, dict):
        raise invalid("contact_properties must be an object")
    for name, value in properties.items():
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise invalid(f"contact_properties.{name} must be a string or an integer")


def _check_event_properties(properties: Any) -> None:
    if not isinstance(properties, dict):
        raise invalid("event_properties must be an object")
    for name in properties:
        if not NAME.match(name):
            raise invalid(
                f"event_properties key {name!r} is invalid: use at most 255 "
                "letters, digits, '-' and '_'"
            )
    size = len(json.dumps(properties, separators=(",", ":")).encode())
    if size > MAX_EVENT_PROPERTIES_BYTES:
        raise invalid(
            f"event_properties is {size} bytes; the limit is "
            f"{MAX_EVENT_PROPERTIES_BYTES} bytes (50 KB)"
        )
