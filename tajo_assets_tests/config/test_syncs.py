"""syncs: each names a known query (or SQL) and exactly one Brevo list."""

import textwrap

import pytest

from tajo_assets.config import ConfigError, SyncSpec
from tajo_assets_tests.config.support import SNOWFLAKE_ONLY, line_about

QUERIES = """\
connectors:
  snowflake:
    account: myorg-myaccount
    queries:
      customer_segments: SELECT email, segment_name FROM customer_segments
      customer_scores: SELECT email, predicted_ltv FROM customer_scores
"""


def _with_syncs(syncs: str, head: str = QUERIES) -> str:
    return head + "syncs:\n" + textwrap.indent(textwrap.dedent(syncs), "  ")


def test_absent_syncs_mean_no_syncs_but_queries_remain(load_text):
    config = load_text(QUERIES)

    assert config.syncs() == []
    assert list(config.queries()) == ["customer_segments", "customer_scores"]


def test_unknown_query_lists_the_known_names(load_error):
    message = load_error(
        _with_syncs(
            """\
            segments:
              query: customer_segment
              destination: {list_id: 3}
            """
        )
    )

    line = line_about(message, "syncs.segments.query")
    assert "line 9" in line
    assert (
        "got 'customer_segment', which is not a query in connectors.snowflake.queries "
        "(known: customer_segments, customer_scores); add it there, or write the SQL "
        "here"
    ) in line


def test_unknown_query_when_none_are_defined(load_error):
    head = "connectors:\n  snowflake:\n    account: a\n"
    message = load_error(
        _with_syncs("s:\n  query: audience\n  destination: {list_id: 3}\n", head)
    )

    assert "(known: none)" in line_about(message, "syncs.s.query")


@pytest.mark.parametrize(
    ("sync", "key_path", "expected"),
    [
        pytest.param(
            "s:\n  query: customer_segments\n",
            "syncs.s.destination",
            "missing; this setting is required: the Brevo list to fill: "
            "list_id: <id> or list_name: <name>",
            id="no-destination",
        ),
        pytest.param(
            "s:\n  query: customer_segments\n  destination: {}\n",
            "syncs.s.destination",
            "names no Brevo list; add list_id: <id> or list_name: <name>",
            id="destination-without-list",
        ),
        pytest.param(
            "s:\n  query: customer_segments\n"
            "  destination: {list_id: 3, list_name: A}\n",
            "syncs.s.destination.list_name",
            "given together with list_id; keep only one",
            id="list-id-and-name",
        ),
        pytest.param(
            "s:\n  query: customer_segments\n  destination: {list_id: 0}\n",
            "syncs.s.destination.list_id",
            "got 0; expected a number greater than 0 "
            "(the positive id of an existing Brevo list",
            id="list-id-zero",
        ),
        pytest.param(
            "s:\n  query: customer_segments\n  destination: {list_id: forty-two}\n",
            "syncs.s.destination.list_id",
            "got 'forty-two'; expected a whole number",
            id="list-id-text",
        ),
        pytest.param(
            "s:\n  query: customer_segments\n  destination: {list_id: 3, "
            "folder_name: F}\n",
            "syncs.s.destination.folder_name",
            "applies only with list_name; remove it",
            id="folder-with-list-id",
        ),
        pytest.param(
            "s:\n  destination: {list_id: 3}\n",
            "syncs.s.query",
            "missing; this setting is required: a query name from "
            "connectors.snowflake.queries, or SQL text",
            id="no-query",
        ),
        pytest.param(
            "s:\n  type: forward-etl\n  query: customer_segments\n"
            "  destination: {list_id: 3}\n",
            "syncs.s.type",
            "got 'forward-etl'; expected one of 'reverse-etl' or 'events'",
            id="unknown-type",
        ),
        pytest.param(
            "Segments:\n  query: customer_segments\n  destination: {list_id: 3}\n",
            "syncs.Segments",
            "got the name 'Segments'; expected a lower-case name",
            id="sync-name-not-lower-case",
        ),
        pytest.param(
            "s:\n  query: customer_segments\n  destination: {list_id: 3, "
            "attribute_mapping: {ltv: ltv}}\n",
            "syncs.s.destination.attribute_mapping.ltv",
            "got 'ltv'; expected 'email', 'ext_id' or 'sms'",
            id="attribute-mapping-lower-case",
        ),
        pytest.param(
            "s:\n  query: customer_segments\n  destination: {list_id: 3, "
            "attribute_mapping: {email: EMAIL_ADDRESS}}\n",
            "syncs.s.destination.attribute_mapping.email",
            "column 'email' is the contact identifier (from field_mapping) and "
            "cannot also be an attribute; remove it here",
            id="identifier-column-as-attribute",
        ),
    ],
)
def test_bad_sync_names_key_and_what_to_write(
    load_error, sync: str, key_path: str, expected: str
):
    message = load_error(_with_syncs(sync))

    assert expected in line_about(message, key_path)


def test_query_feeding_two_syncs_names_both_syncs(load_error):
    message = load_error(
        _with_syncs(
            """\
            first_list:
              query: customer_segments
              destination: {list_id: 3}
            second_list:
              query: customer_segments
              destination: {list_name: Second}
            """
        )
    )

    line = line_about(message, "syncs.second_list.query")
    assert (
        "query 'customer_segments' already feeds sync 'first_list'; a query feeds at "
        "most one sync for now"
    ) in line


def test_inline_sql_named_like_a_query_is_ambiguous(load_error):
    message = load_error(
        _with_syncs(
            """\
            customer_scores:
              query: SELECT email FROM other_scores
              destination: {list_id: 3}
            """
        )
    )

    line = line_about(message, "syncs.customer_scores.query")
    assert "is SQL, but connectors.snowflake.queries also has a query named" in line
    assert "write query: customer_scores to use it, or rename one" in line


def test_every_sync_problem_is_reported_together(load_error):
    message = load_error(
        _with_syncs(
            """\
            a:
              query: unknown_one
              destination: {list_id: 1}
            b:
              query: unknown_two
              destination: {list_id: 2}
            """
        )
    )

    assert "got 'unknown_one'" in line_about(message, "syncs.a.query")
    assert "got 'unknown_two'" in line_about(message, "syncs.b.query")


def test_list_name_destination_defaults_to_the_tajo_folder(load_text):
    config = load_text(
        _with_syncs(
            """\
            segments:
              query: customer_segments
              destination: {list_name: VIP customers}
            scores:
              query: customer_scores
              destination: {list_name: Scores, folder_name: ML}
            """
        )
    )

    segments, scores = config.syncs()
    assert (segments.list_id, segments.list_name) == (None, "VIP customers")
    assert segments.folder_name == "Tajo"
    assert (scores.list_name, scores.folder_name) == ("Scores", "ML")


def test_sync_without_attribute_mapping_uses_field_mapping(load_text):
    config = load_text(
        _with_syncs(
            """\
            segments:
              query: customer_segments
              destination: {list_id: 3}
            """,
            QUERIES + "field_mapping:\n  email: email\n  segment_name: SEGMENT\n",
        )
    )

    [spec] = config.syncs()
    assert spec == SyncSpec(
        name="segments",
        query_name="customer_segments",
        sql="SELECT email, segment_name FROM customer_segments",
        list_id=3,
        list_name=None,
        folder_name=None,
        mapping=config.field_mapping,
    )
    assert spec.mapping.attributes == {"segment_name": "SEGMENT"}


def test_attribute_mapping_replaces_field_mapping_and_inherits_identifier(load_text):
    config = load_text(
        _with_syncs(
            """\
            scores:
              query: customer_scores
              destination:
                list_id: 42
                attribute_mapping:
                  predicted_ltv: PREDICTED_LTV
            """,
            QUERIES + "field_mapping:\n  Mail: email\n  segment_name: SEGMENT\n",
        )
    )

    mapping = config.syncs()[0].mapping
    assert mapping.as_dict() == {"Mail": "email", "predicted_ltv": "PREDICTED_LTV"}
    assert mapping.identifier_column == "Mail"


def test_attribute_mapping_with_its_own_identifier_uses_it(load_text):
    config = load_text(
        _with_syncs(
            """\
            scores:
              query: customer_scores
              destination:
                list_id: 42
                attribute_mapping:
                  contact_email: email
                  predicted_ltv: PREDICTED_LTV
            """
        )
    )

    mapping = config.syncs()[0].mapping
    assert (mapping.identifier_column, mapping.identifier_target) == (
        "contact_email",
        "email",
    )
    assert mapping.attributes == {"predicted_ltv": "PREDICTED_LTV"}


def test_syncs_keep_the_order_written(load_text):
    config = load_text(
        _with_syncs(
            """\
            zeta:
              query: customer_scores
              destination: {list_id: 1}
            alpha:
              query: customer_segments
              destination: {list_id: 2}
            """
        )
    )

    assert [(s.name, s.query_name) for s in config.syncs()] == [
        ("zeta", "customer_scores"),
        ("alpha", "customer_segments"),
    ]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        pytest.param(
            SNOWFLAKE_ONLY + "    queries:\n      segs: SELECT 1 WHERE x > :since\n",
            "connectors.snowflake.queries.segs",
            id="named-query",
        ),
        pytest.param(
            _with_syncs(
                """\
                inline:
                  query: SELECT email FROM t WHERE updated_at > :since
                  destination:
                    list_id: 7
                """
            ),
            "syncs.inline.query",
            id="inline-sync-query",
        ),
    ],
)
def test_a_placeholder_no_run_binds_is_refused_at_load(load_text, text, where):
    with pytest.raises(ConfigError) as raised:
        load_text(text)

    message = str(raised.value)
    assert where in message
    assert "uses :since, which no run binds; use :last_sync" in message


WINDOWED = """\
connectors:
  snowflake:
    account: myorg-myaccount
    queries:
      recent: SELECT email FROM customers WHERE updated_at > :last_sync
"""


def test_the_mode_defaults_to_upsert_and_is_kept(load_text):
    config = load_text(
        _with_syncs(
            """\
            a: {query: customer_segments, destination: {list_id: 3}}
            b: {query: customer_scores, destination: {list_id: 4}, mode: mirror}
            """
        )
    )

    assert [spec.mode.value for spec in config.syncs()] == ["upsert", "mirror"]


@pytest.mark.parametrize(
    ("head", "sync", "key_path", "expected"),
    [
        pytest.param(
            QUERIES,
            "s: {query: customer_segments, destination: {list_id: 3}, mode: sync}\n",
            "syncs.s.mode",
            "'upsert', 'update', 'insert' or 'mirror'",
            id="unknown-mode",
        ),
        pytest.param(
            WINDOWED,
            "s: {query: recent, destination: {list_id: 3}, mode: mirror}\n",
            "syncs.s.mode",
            "got 'mirror', but query 'recent' reads a time window (it uses "
            ":last_sync or :window_end), and a window does not say who left the "
            "audience; use mode: upsert, or make the query return the whole audience",
            id="mirror-of-a-window",
        ),
        pytest.param(
            QUERIES,
            "s:\n  query: customer_segments\n"
            "  destination: {list_id: 3, segment_column: segment_name}\n",
            "syncs.s.destination.segment_column",
            "needs list_name to name each segment's list, e.g. list_name: "
            "'Segment {segment}'; a list_id names one list",
            id="segments-with-a-list-id",
        ),
        pytest.param(
            QUERIES,
            "s:\n  query: customer_segments\n"
            "  destination: {list_name: Segments, segment_column: segment_name}\n",
            "syncs.s.destination.list_name",
            "got 'Segments'; with segment_column it must contain {segment} exactly "
            "once, where each segment's value goes, e.g. 'Segment {segment}'",
            id="segment-template-without-placeholder",
        ),
        pytest.param(
            QUERIES,
            "s:\n  query: customer_segments\n"
            "  destination: {list_name: 'Segment {segment}'}\n",
            "syncs.s.destination.list_name",
            "got 'Segment {segment}', which has {segment} but no segment_column "
            "says where segments come from; add segment_column: <column>, or give "
            "the list its own name",
            id="placeholder-without-segment-column",
        ),
    ],
)
def test_modes_and_segment_lists_are_checked(
    load_error, head, sync, key_path, expected
):
    message = load_error(_with_syncs(sync, head))

    assert expected in line_about(message, key_path)


EVENT_QUERIES = """\
connectors:
  snowflake:
    account: myorg-myaccount
    queries:
      order_events: SELECT order_id, email, ordered_at, total FROM orders
"""

ORDER_EVENTS = """\
order_events:
  type: events
  query: order_events
  event:
    name: order_completed
    id_column: ORDER_ID
    date_column: ORDERED_AT
    identifier: {email: EMAIL}
    properties: [TOTAL]
    contact_properties: {FIRST_NAME: FIRSTNAME}
"""


def test_an_event_sync_resolves_apart_from_the_contact_syncs(load_text):
    config = load_text(_with_syncs(ORDER_EVENTS, EVENT_QUERIES))

    [spec] = config.event_syncs()
    assert config.syncs() == []
    assert (spec.name, spec.query_name) == ("order_events", "order_events")
    assert spec.event.property_names() == {"TOTAL": "total"}
    assert spec.columns()["FIRST_NAME"] == "contact_properties"
    assert "order_events" in config.queries()


def test_event_properties_may_be_renamed(load_text):
    sync = ORDER_EVENTS.replace("[TOTAL]", "{TOTAL: order-total}")

    [spec] = load_text(_with_syncs(sync, EVENT_QUERIES)).event_syncs()

    assert spec.event.property_names() == {"TOTAL": "order-total"}


@pytest.mark.parametrize(
    ("old", "new", "key_path", "expected"),
    [
        pytest.param(
            "    name: order_completed\n",
            "    name: order completed\n",
            "syncs.order_events.event.name",
            "at most 255 letters, digits, '-' and '_'",
            id="event-name-with-a-space",
        ),
        pytest.param(
            "    name: order_completed\n",
            "",
            "syncs.order_events.event",
            "needs exactly one of name: <event name>",
            id="no-name",
        ),
        pytest.param(
            "    name: order_completed\n",
            "    name: order_completed\n    name_column: KIND\n",
            "syncs.order_events.event",
            "needs exactly one of name",
            id="name-and-name-column",
        ),
        pytest.param(
            "    id_column: ORDER_ID\n",
            "",
            "syncs.order_events.event.id_column",
            "missing",
            id="no-id-column",
        ),
        pytest.param(
            "{email: EMAIL}",
            "{phone: PHONE}",
            "syncs.order_events.event.identifier",
            "got phone; one to three of email, ext_id, sms",
            id="unknown-identifier",
        ),
        pytest.param(
            "{email: EMAIL}",
            "{}",
            "syncs.order_events.event.identifier",
            "one to three of email, ext_id, sms",
            id="no-identifier",
        ),
        pytest.param(
            "[TOTAL]",
            "{TOTAL: order total}",
            "syncs.order_events.event.properties.TOTAL",
            "property name 'order total' is not at most 255 letters",
            id="bad-property-name",
        ),
        pytest.param(
            "{FIRST_NAME: FIRSTNAME}",
            "{FIRST_NAME: FirstName}",
            "syncs.order_events.event.contact_properties.FIRST_NAME",
            "got 'FirstName'; a Brevo attribute name is upper-case",
            id="bad-contact-attribute",
        ),
        pytest.param(
            "  type: events\n",
            "  type: events\n  mode: upsert\n",
            "syncs.order_events.mode",
            "does not apply to type: events",
            id="mode-given-for-events",
        ),
        pytest.param(
            "  type: events\n",
            "  type: events\n  destination: {list_id: 3}\n",
            "syncs.order_events.destination",
            "does not apply to type: events",
            id="destination-given-for-events",
        ),
        pytest.param(
            ORDER_EVENTS[ORDER_EVENTS.index("  event:") :],
            "",
            "syncs.order_events.event",
            "missing; type: events needs an event: block",
            id="no-event-block",
        ),
        pytest.param(
            "  type: events\n",
            "  type: reverse-etl\n  destination: {list_id: 3}\n",
            "syncs.order_events.event",
            "applies only to type: events",
            id="event-block-on-a-contact-sync",
        ),
    ],
)
def test_bad_event_sync_names_key_and_what_to_write(
    load_error, old: str, new: str, key_path: str, expected: str
):
    assert old in ORDER_EVENTS
    message = load_error(_with_syncs(ORDER_EVENTS.replace(old, new), EVENT_QUERIES))

    assert expected in line_about(message, key_path)
