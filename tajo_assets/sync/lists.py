"""The Brevo lists a sync fills: its one list, or one list per segment value.

A segment sync names each list from a template (`list_name` with `{segment}`)
and finds it by name in the sync's folder, creating what is missing. A dry run
finds without creating: a list that does not exist yet gets a negative
stand-in id, which no state row holds, so the plan counts its members as adds.
"""

import logging
from dataclasses import dataclass

from tajo_assets.brevo import BrevoClient
from tajo_assets.config import SyncSpec
from tajo_assets.config.syncs import MAX_SEGMENT_LISTS, SEGMENT_PLACEHOLDER
from tajo_assets.snowflake import Column
from tajo_assets.sync.mapping import MappingError
from tajo_assets.sync.plan import ListTargets, Planner

log = logging.getLogger("tajo_assets.sync")


@dataclass(frozen=True)
class Destination:
    """The lists of one run: targets for the plan, and names for reports."""

    targets: ListTargets
    # List id -> name, including stand-in ids of lists a dry run would create.
    names: dict[int, str]

    @property
    def missing(self) -> list[str]:
        """Lists a dry run found missing (a real run creates them)."""
        return [name for list_id, name in self.names.items() if list_id < 0]


def resolve_destination(
    spec: SyncSpec,
    brevo: BrevoClient,
    planner: Planner,
    columns: list[Column],
    *,
    incremental: bool,
    create: bool,
) -> Destination:
    """Find (and, with `create`, make) the lists the sync's rows belong in."""
    if spec.segment_column is not None:
        return _segment_lists(spec, brevo, planner, columns, incremental, create)
    if spec.list_id is not None:
        found = brevo.get_list(spec.list_id)
        return Destination(ListTargets(list_id=found.id), {found.id: found.name})
    assert spec.list_name is not None and spec.folder_name is not None
    lists = brevo.find_lists([spec.list_name], spec.folder_name, create=create)
    found = lists[spec.list_name]
    list_id = found.id if found else -1
    return Destination(ListTargets(list_id=list_id), {list_id: spec.list_name})


def _segment_lists(
    spec: SyncSpec,
    brevo: BrevoClient,
    planner: Planner,
    columns: list[Column],
    incremental: bool,
    create: bool,
) -> Destination:
    column = _segment_column(spec, columns)
    values = planner.segment_values(column, incremental)
    if len(values) > MAX_SEGMENT_LISTS:
        raise MappingError(
            f"sync {spec.name}: segment column {column} holds {len(values)} "
            f"distinct values, more than the {MAX_SEGMENT_LISTS} Brevo lists a "
            "segment sync makes; check that segment_column names the segment, or "
            "group its values in the query"
        )
    assert spec.list_name is not None and spec.folder_name is not None
    template = spec.list_name
    names = {value: template.replace(SEGMENT_PLACEHOLDER, value) for value in values}
    found = brevo.find_lists(list(names.values()), spec.folder_name, create=create)
    segment_lists, by_id = [], {}
    for stand_in, (value, name) in enumerate(names.items(), start=1):
        match = found[name]
        list_id = match.id if match else -stand_in
        segment_lists.append((value, list_id))
        by_id[list_id] = name
    log.info(
        "sync %s: %d segment lists in folder '%s'",
        spec.name,
        len(segment_lists),
        spec.folder_name,
    )
    targets = ListTargets(segment_column=column, segment_lists=tuple(segment_lists))
    return Destination(targets, by_id)


def _segment_column(spec: SyncSpec, columns: list[Column]) -> str:
    """The snapshot's name of the segment column; MappingError if it has none."""
    assert spec.segment_column is not None
    for column in columns:
        if column.name.upper() == spec.segment_column.upper():
            return column.name
    available = ", ".join(column.name for column in columns)
    raise MappingError(
        f"sync {spec.name}: destination.segment_column names column "
        f"{spec.segment_column.upper()}, but query {spec.query_name} returns "
        f"{available}; fix the setting or the query"
    )
