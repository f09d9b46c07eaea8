"""Brevo events: batch sizes, and what Brevo's answer to a batch says per event.

`POST /events/batch` takes `{"events": [...]}` and answers 2xx
`{"message", "count"}` when it accepted every event, or 207 with the events
that failed validation (developers.brevo.com reference/create-batch-events;
reference brevo_api.md section 4). Brevo publishes no field names for the
207 breakdown that we could read; this module reads the sandbox's shape
(`failed: [{"index", "code", "message"}]`, or only `successful: [{"index"}]`)
and, for any other shape, calls every event of the batch unconfirmed rather
than guess which ones Brevo kept.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from tajo_assets.brevo.imports import encode_json

# Brevo documents no maximum batch size. 100 events keeps one refused or
# ambiguous batch small, and the byte cap keeps a body of large events (up to
# 50 KB of properties each) to about 1 MB.
EVENT_BATCH_SIZE = 100
EVENT_BATCH_BYTES = 1_000_000


@dataclass(frozen=True)
class EventRefusal:
    """An event Brevo refused: its index in the batch and Brevo's words."""

    index: int
    code: str
    message: str

    @property
    def reason(self) -> str:
        return f"{self.code}: {self.message}" if self.code else self.message


@dataclass
class EventBatchOutcome:
    """What Brevo said about each event of one batch, by index in the batch.

    `unconfirmed` are events whose fate Brevo's answer did not make clear:
    they may or may not have been stored, so they must not be sent again.
    `not_sent` never reached Brevo, or Brevo certainly did not apply them
    (429, a refused key). `failure` is the error that stopped the batch, for
    the caller to raise once it recorded the rest.
    """

    accepted: list[int] = field(default_factory=list)
    refused: list[EventRefusal] = field(default_factory=list)
    unconfirmed: list[int] = field(default_factory=list)
    not_sent: list[int] = field(default_factory=list)
    failure: Exception | None = None


def event_batches(
    events: Sequence[dict[str, Any]],
    max_events: int = EVENT_BATCH_SIZE,
    max_bytes: int = EVENT_BATCH_BYTES,
) -> Iterator[list[int]]:
    """Indexes of `events` grouped into batches within both limits, in order.

    An event larger than `max_bytes` on its own still goes, alone.
    """
    batch: list[int] = []
    size = 0
    for index, event in enumerate(events):
        event_size = len(encode_json(event)) + 1
        if batch and (len(batch) >= max_events or size + event_size > max_bytes):
            yield batch
            batch, size = [], 0
        batch.append(index)
        size += event_size
    if batch:
        yield batch


def read_partial_answer(body: Any, size: int) -> EventBatchOutcome:
    """The per-event outcome of a 207 answer to a batch of `size` events."""
    failed = _indexed(body, "failed", size)
    if failed is not None:
        refused = [
            EventRefusal(index, str(item.get("code") or ""), _message(item))
            for index, item in failed
        ]
        named = {refusal.index for refusal in refused}
        accepted = [index for index in range(size) if index not in named]
        return EventBatchOutcome(accepted, refused)
    successful = _indexed(body, "successful", size)
    if successful is not None:
        accepted = sorted({index for index, _ in successful})
        refused = [
            EventRefusal(index, "", "refused by Brevo without a message")
            for index in range(size)
            if index not in accepted
        ]
        return EventBatchOutcome(accepted, refused)
    return EventBatchOutcome(unconfirmed=list(range(size)))


def read_full_answer(body: Any, size: int) -> EventBatchOutcome:
    """The outcome of a 2xx answer other than 207: every event accepted, unless
    Brevo's `count` says otherwise (then which ones is unknown)."""
    count = body.get("count") if isinstance(body, dict) else None
    if isinstance(count, int) and not isinstance(count, bool) and count != size:
        return EventBatchOutcome(unconfirmed=list(range(size)))
    return EventBatchOutcome(accepted=list(range(size)))


def _indexed(body: Any, key: str, size: int) -> list[tuple[int, dict]] | None:
    """`body[key]` as (index, item) pairs, or None unless every item names an
    index inside the batch."""
    items = body.get(key) if isinstance(body, dict) else None
    if not isinstance(items, list):
        return None
    pairs = []
    for item in items:
        index = item.get("index") if isinstance(item, dict) else None
        if isinstance(index, bool) or not isinstance(index, int):
            return None
        if not 0 <= index < size:
            return None
        pairs.append((index, item))
    return pairs


def _message(item: dict) -> str:
    message = item.get("message") or item.get("error")
    return str(message) if message else "refused by Brevo without a message"
