"""Brevo's rate-limit tiers: which bucket a path spends, and each bucket's windows.

Brevo counts an API key's requests per bucket, and a bucket may have a
per-second and a per-hour window; when both are given, both apply. The numbers
per plan tier come from Brevo's API limits page (reference
shared/reference/brevo_api.md section 3):

| bucket | general | advanced | extended |
|---|---|---|---|
| contacts (`/contacts*`) | 10/s and 36,000/h | 20/s and 72,000/h | 60/s |
| events (`POST /events`) | 10/s and 36,000/h | 20/s and 72,000/h | 60/s |
| general (every other path, `/processes` too) | 100/h | 200/h | 600/h |

`/events/batch` is not listed by Brevo; the reference suggests the general
bucket, so it is counted there, unverified: the `x-sib-ratelimit-*` headers of
its answers still hold the pacer back if Brevo counts it elsewhere.
"""

from dataclasses import dataclass

CONTACTS_BUCKET = "contacts"
EVENTS_BUCKET = "events"
GENERAL_BUCKET = "general"
BUCKETS = (CONTACTS_BUCKET, EVENTS_BUCKET, GENERAL_BUCKET)

GENERAL_TIER = "general"
ADVANCED_TIER = "advanced"
EXTENDED_TIER = "extended"


@dataclass(frozen=True)
class Window:
    """At most `limit` requests in any `seconds`-long span."""

    limit: int
    seconds: float


def _per_second(per_second: int, per_hour: int | None) -> tuple[Window, ...]:
    hourly = (Window(per_hour, 3600.0),) if per_hour is not None else ()
    return (Window(per_second, 1.0), *hourly)


TIERS: dict[str, dict[str, tuple[Window, ...]]] = {
    GENERAL_TIER: {
        CONTACTS_BUCKET: _per_second(10, 36_000),
        EVENTS_BUCKET: _per_second(10, 36_000),
        GENERAL_BUCKET: (Window(100, 3600.0),),
    },
    ADVANCED_TIER: {
        CONTACTS_BUCKET: _per_second(20, 72_000),
        EVENTS_BUCKET: _per_second(20, 72_000),
        GENERAL_BUCKET: (Window(200, 3600.0),),
    },
    # Brevo gives no hourly limit for contacts and events on this tier.
    EXTENDED_TIER: {
        CONTACTS_BUCKET: _per_second(60, None),
        EVENTS_BUCKET: _per_second(60, None),
        GENERAL_BUCKET: (Window(600, 3600.0),),
    },
}


def bucket_for(path: str) -> str:
    """The rate-limit bucket of an API path relative to the base URL (`/v3`).

    Paths only: `/events` is Brevo's `POST /events` (the one call this project
    makes there).
    """
    if path == "/contacts" or path.startswith("/contacts/"):
        return CONTACTS_BUCKET
    if path == "/events":
        return EVENTS_BUCKET
    return GENERAL_BUCKET


def tier_windows(tier: str) -> dict[str, tuple[Window, ...]]:
    """The windows of every bucket on `tier`; raises ValueError naming the tiers."""
    try:
        return TIERS[str(tier)]
    except KeyError:
        raise ValueError(
            f"unknown Brevo rate-limit tier {tier!r}; use one of "
            f"{', '.join(TIERS)} (connectors.brevo.tier in tajo.yaml)"
        ) from None
