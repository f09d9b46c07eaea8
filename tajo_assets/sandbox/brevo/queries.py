"""Query parameters shared by Brevo's listing routes: paging, order, date filters."""

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from tajo_assets.sandbox.brevo.errors import invalid, out_of_range

Item = TypeVar("Item")


@dataclass(frozen=True)
class Page:
    """`limit` items from `offset`, in creation order (`asc`) or newest first."""

    limit: int
    offset: int
    sort: str

    def take(self, items: Sequence[Item]) -> list[Item]:
        ordered = items if self.sort == "asc" else list(reversed(items))
        return list(ordered[self.offset : self.offset + self.limit])


def read_page(query: Mapping[str, str], default_limit: int, max_limit: int) -> Page:
    """Read `limit`, `offset` and `sort`; Brevo's default order is descending."""
    limit = _integer(query, "limit", default_limit)
    if not 0 <= limit <= max_limit:
        raise out_of_range(
            f"limit {limit} is out of range: this route returns at most "
            f"{max_limit} items per page; page with offset"
        )
    offset = _integer(query, "offset", 0)
    if offset < 0:
        raise invalid(f"offset {offset} is negative; pass 0 or more")
    sort = query.get("sort", "desc")
    if sort not in ("asc", "desc"):
        raise invalid(f"sort {sort!r} is not asc or desc")
    return Page(limit, offset, sort)


def read_since(query: Mapping[str, str], name: str) -> dt.datetime | None:
    """A UTC date-time filter such as `modifiedSince`; naive values are UTC."""
    raw = query.get(name)
    if raw is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise invalid(
            f"{name} {raw!r} is not a date-time; use YYYY-MM-DDTHH:mm:ss.SSSZ"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def read_path_id(raw: str, name: str) -> int:
    """A numeric path parameter such as `listId` or `processId`."""
    if not raw.isdigit():
        raise invalid(f"{name} {raw!r} is not a number")
    return int(raw)


def _integer(query: Mapping[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise invalid(f"{name} {raw!r} is not an integer") from None
