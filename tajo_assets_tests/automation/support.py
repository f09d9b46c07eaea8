"""A tajo.yaml that builds definitions without a sandbox (nothing connects)."""

import textwrap

INCREMENTAL_QUERY = (
    "SELECT email, segment_name FROM customer_segments WHERE updated_at > :last_sync"
)
FULL_QUERY = "SELECT email, segment_name FROM customer_segments"


def project_text(query: str = INCREMENTAL_QUERY, **snowflake: str) -> str:
    """One query and its sync; `snowflake` adds settings to connectors.snowflake."""
    settings = "".join(f"    {key}: {value}\n" for key, value in snowflake.items())
    return (
        textwrap.dedent(
            """\
            connectors:
              snowflake:
                account: myorg-myaccount
                user: TAJO
                database: MARKETING_DB
                schema: PUBLIC
            """
        )
        + settings
        + textwrap.dedent(
            f"""\
                queries:
                  customer_segments: "{query}"
            field_mapping:
              email: email
              segment_name: SEGMENT_NAME
            syncs:
              customer_segments:
                type: reverse-etl
                query: customer_segments
                destination:
                  list_name: Customer segments
            """
        )
    )
