"""Syncs: reverse-ETL (a query, a Brevo list, optionally their own mapping) and
events (a query whose rows become Brevo events, see `events`).

`sync_problems` holds the rules between syncs and the rest of the file: a sync
names a known query, a query feeds one sync, a mapping keeps its identifier.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import Field, model_validator

from tajo_assets.config.attributes import AttributeOptions
from tajo_assets.config.errors import Location, problems_found
from tajo_assets.config.events import EventDefinition, EventSyncSpec
from tajo_assets.config.fields import PositiveNumber, SqlText, Text
from tajo_assets.config.mapping import AttributeMapping, FieldMapping
from tajo_assets.config.section import Section
from tajo_assets.snowflake.bindings import placeholder_names

SEGMENT_PLACEHOLDER = "{segment}"
# More distinct values than this in a segment column is taken for a wrong column
# rather than for that many Brevo lists.
MAX_SEGMENT_LISTS = 100


class ListDestination(Section):
    """The Brevo list a sync fills: an existing list id, a list by name, or one
    list per value of a segment column (lists named from a template)."""

    list_id: PositiveNumber | None = Field(
        None, description="the positive id of an existing Brevo list"
    )
    list_name: Text | None = Field(
        None, description="name of a Brevo list, created if missing"
    )
    folder_name: Text = Field(
        "Tajo", description="folder of a list created from list_name"
    )
    segment_column: Text | None = Field(
        None,
        description="a query column whose values each get a Brevo list, named by "
        "list_name with {segment} standing for the value",
    )
    attribute_mapping: AttributeMapping | None = Field(
        None, description="column -> attribute; replaces field_mapping for this sync"
    )

    @model_validator(mode="after")
    def _one_list(self) -> "ListDestination":
        if self.list_id is None and self.list_name is None:
            raise problems_found(
                [((), "names no Brevo list; add list_id: <id> or list_name: <name>")]
            )
        if self.list_id is not None and self.list_name is not None:
            raise problems_found(
                [(("list_name",), "given together with list_id; keep only one")]
            )
        if self.list_id is not None and "folder_name" in self.model_fields_set:
            raise problems_found(
                [(("folder_name",), "applies only with list_name; remove it")]
            )
        if self.segment_column is not None:
            self._check_segment_lists()
        elif self.list_name is not None and SEGMENT_PLACEHOLDER in self.list_name:
            raise problems_found(
                [
                    (
                        ("list_name",),
                        f"got '{self.list_name}', which has {SEGMENT_PLACEHOLDER} "
                        "but no segment_column says where segments come from; add "
                        "segment_column: <column>, or give the list its own name",
                    )
                ]
            )
        return self

    def _check_segment_lists(self) -> None:
        if self.list_name is None:
            raise problems_found(
                [
                    (
                        ("segment_column",),
                        "needs list_name to name each segment's list, e.g. "
                        "list_name: 'Segment {segment}'; a list_id names one list",
                    )
                ]
            )
        if self.list_name.count(SEGMENT_PLACEHOLDER) != 1:
            raise problems_found(
                [
                    (
                        ("list_name",),
                        f"got '{self.list_name}'; with segment_column it must contain "
                        f"{SEGMENT_PLACEHOLDER} exactly once, where each segment's "
                        "value goes, e.g. 'Segment {segment}'",
                    )
                ]
            )


class SyncType(StrEnum):
    REVERSE_ETL = "reverse-etl"
    EVENTS = "events"


class SyncMode(StrEnum):
    """How a sync writes contacts, and whether it removes list members.

    upsert creates and updates contacts and adds them to the list; update only
    changes contacts Brevo already has; insert only creates contacts (existing
    ones keep their values); mirror upserts and also removes from the list the
    members this project added who left the audience.
    """

    UPSERT = "upsert"
    UPDATE = "update"
    INSERT = "insert"
    MIRROR = "mirror"


class SyncConfig(Section):
    """One reverse-ETL sync as written under `syncs:`."""

    type: SyncType = Field(SyncType.REVERSE_ETL, description="the kind of sync")
    query: SqlText = Field(
        description="a query name from connectors.snowflake.queries, or SQL text"
    )
    destination: ListDestination | None = Field(
        None,
        description="the Brevo list to fill: list_id: <id> or list_name: <name> "
        "(reverse-etl only)",
    )
    mode: SyncMode = Field(
        SyncMode.UPSERT,
        description="upsert (create and update), update (existing contacts only), "
        "insert (new contacts only) or mirror (upsert, and remove members who "
        "leave the audience from the list); reverse-etl only",
    )
    event: EventDefinition | None = Field(
        None, description="how each row becomes a Brevo event (type: events only)"
    )

    @model_validator(mode="after")
    def _blocks_of_its_type(self) -> "SyncConfig":
        if self.type == SyncType.EVENTS:
            problems = _event_sync_problems(self)
        elif self.destination is None:
            problems = [
                (
                    ("destination",),
                    "missing; this setting is required: the Brevo list to fill: "
                    "list_id: <id> or list_name: <name>",
                )
            ]
        else:
            problems = []
            if self.event is not None:
                problems.append(
                    (
                        ("event",),
                        "applies only to type: events; remove it, or set "
                        "type: events (and remove destination)",
                    )
                )
        if problems:
            raise problems_found(problems)
        return self

    @property
    def names_a_query(self) -> bool:
        """A single word names a configured query; anything longer is SQL."""
        return len(self.query.split()) == 1


def _event_sync_problems(sync: SyncConfig) -> list[tuple[Location, str]]:
    problems: list[tuple[Location, str]] = []
    if sync.event is None:
        problems.append(
            (
                ("event",),
                "missing; type: events needs an event: block with id_column, "
                "identifier and name (or name_column)",
            )
        )
    if sync.destination is not None:
        problems.append(
            (
                ("destination",),
                "does not apply to type: events (Brevo files events under the "
                "contact they name, not in a list); remove it",
            )
        )
    if "mode" in sync.model_fields_set:
        problems.append(
            (
                ("mode",),
                "does not apply to type: events (each event is sent once, never "
                "updated); remove it",
            )
        )
    return problems


@dataclass(frozen=True)
class SyncSpec:
    """A sync with its query and mapping resolved, ready to build assets from.

    Exactly one of `list_id` and `list_name` is set; `folder_name` goes with
    `list_name`. For inline SQL, `query_name` is the sync's name.
    """

    name: str
    query_name: str
    sql: str
    list_id: int | None
    list_name: str | None
    folder_name: str | None
    mapping: FieldMapping
    mode: SyncMode = SyncMode.UPSERT
    segment_column: str | None = None
    # Options of the attributes this sync's mapping targets (see `attributes:`).
    attributes: Mapping[str, AttributeOptions] = field(default_factory=dict)

    def definition_options(self) -> dict[str, dict]:
        """The attribute options that change what is sent, for the definition hash."""
        return {
            name: options.as_definition()
            for name, options in sorted(self.attributes.items())
            if options.as_definition()
        }

    @property
    def list_label(self) -> str:
        """The destination as a person would name it, for messages."""
        if self.segment_column is not None:
            return f"the lists '{self.list_name}' per {self.segment_column}"
        if self.list_id is not None:
            return f"list {self.list_id}"
        return f"list '{self.list_name}'"


def resolve_event_sync(
    name: str, sync: SyncConfig, queries: Mapping[str, str]
) -> EventSyncSpec:
    """An event sync with its SQL looked up; `queries` includes inline SQL."""
    assert sync.event is not None
    query_name = sync.query if sync.names_a_query else name
    return EventSyncSpec(name, query_name, queries[query_name], sync.event)


def resolve_sync(
    name: str,
    sync: SyncConfig,
    queries: Mapping[str, str],
    field_mapping: FieldMapping,
    attributes: Mapping[str, AttributeOptions] | None = None,
) -> SyncSpec:
    """`sync` with its SQL and mapping looked up; `queries` includes inline SQL.

    `attributes` are the file's attribute options; the spec keeps those of the
    attributes its mapping targets.
    """
    query_name = sync.query if sync.names_a_query else name
    destination = sync.destination
    assert destination is not None
    mapping = sync_mapping(field_mapping, destination.attribute_mapping)
    targets = set(mapping.attributes.values())
    return SyncSpec(
        name=name,
        query_name=query_name,
        sql=queries[query_name],
        list_id=destination.list_id,
        list_name=destination.list_name,
        folder_name=destination.folder_name if destination.list_name else None,
        mapping=mapping,
        mode=sync.mode,
        segment_column=destination.segment_column,
        attributes={
            name: options
            for name, options in (attributes or {}).items()
            if name in targets
        },
    )


def sync_mapping(
    field_mapping: FieldMapping, override: AttributeMapping | None
) -> FieldMapping:
    """The mapping a sync applies: its own, completed with the file's identifier."""
    if override is None:
        return field_mapping
    if override.identifier_column is not None:
        return FieldMapping(override.root)
    identifier = {field_mapping.identifier_column: field_mapping.identifier_target}
    return FieldMapping({**identifier, **override.root})


# The bindings an audience query may use (see tajo_assets.sync.state).
AUDIENCE_BINDINGS = frozenset({"last_sync", "window_end"})


def sync_problems(
    syncs: Mapping[str, SyncConfig],
    queries: Mapping[str, str],
    field_mapping: FieldMapping,
) -> list[tuple[Location, str]]:
    """Rules between syncs, named queries and the field mapping, at key paths."""
    problems: list[tuple[Location, str]] = []
    first_sync: dict[str, str] = {}
    for name, sync in syncs.items():
        at = ("syncs", name)
        query_name = sync.query if sync.names_a_query else name
        if sync.names_a_query and sync.query not in queries:
            problems.append(((*at, "query"), _unknown_query(sync.query, queries)))
        if not sync.names_a_query and name in queries:
            problems.append(
                (
                    (*at, "query"),
                    f"is SQL, but connectors.snowflake.queries also has a query "
                    f"named '{name}'; write query: {name} to use it, or rename one",
                )
            )
        first = first_sync.setdefault(query_name, name)
        if first != name:
            problems.append(
                (
                    (*at, "query"),
                    f"query '{query_name}' already feeds sync '{first}'; a query "
                    "feeds at most one sync for now: copy it under another name",
                )
            )
        problems += _override_problems(field_mapping, sync, at)
        sql = queries.get(query_name, sync.query)
        if sync.mode == SyncMode.MIRROR and placeholder_names(sql) & AUDIENCE_BINDINGS:
            problems.append(((*at, "mode"), _incremental_mirror(query_name)))
    return problems


def _incremental_mirror(query_name: str) -> str:
    return (
        f"got 'mirror', but query '{query_name}' reads a time window (it uses "
        ":last_sync or :window_end), and a window does not say who left the "
        "audience; use mode: upsert, or make the query return the whole audience"
    )


def placeholder_problems(
    queries: Mapping[str, str], syncs: Mapping[str, SyncConfig]
) -> list[tuple[Location, str]]:
    """Placeholders no run binds: Snowflake would refuse them at run time."""
    located = {("connectors", "snowflake", "queries", n): q for n, q in queries.items()}
    located |= {
        ("syncs", name, "query"): sync.query
        for name, sync in syncs.items()
        if not sync.names_a_query
    }
    allowed = ", ".join(f":{name}" for name in sorted(AUDIENCE_BINDINGS))
    problems = []
    for location, sql in located.items():
        unknown = sorted(placeholder_names(sql) - AUDIENCE_BINDINGS)
        if unknown:
            names = ", ".join(f":{name}" for name in unknown)
            problems.append(
                (location, f"uses {names}, which no run binds; use {allowed}")
            )
    return problems


def _unknown_query(name: str, queries: Mapping[str, str]) -> str:
    known = ", ".join(queries) if queries else "none"
    return (
        f"got '{name}', which is not a query in connectors.snowflake.queries "
        f"(known: {known}); add it there, or write the SQL here"
    )


def _override_problems(
    field_mapping: FieldMapping, sync: SyncConfig, at: Location
) -> list[tuple[Location, str]]:
    if sync.destination is None:
        return []
    override = sync.destination.attribute_mapping
    if override is None or override.identifier_column is not None:
        return []
    identifier = field_mapping.identifier_column
    clash = [c for c in override.root if c.upper() == identifier.upper()]
    return [
        (
            (*at, "destination", "attribute_mapping", column),
            f"column '{column}' is the contact identifier (from field_mapping) and "
            "cannot also be an attribute; remove it here",
        )
        for column in clash
    ]
