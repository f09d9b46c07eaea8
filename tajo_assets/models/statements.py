"""The models' SQL files, with validated table names filled in.

Object names cannot be bindings, so each is checked against the plain
identifier form before it is placed in the text; no value ever is. A file
holds one or more statements, each ending with `;` at the end of a line.
"""

import re
from importlib import resources

from tajo_assets.config.models import ModelsConfig

CUSTOMER_RFM = "customer_rfm"
CUSTOMER_SEGMENTS = "customer_segments"
CUSTOMER_SCORES_OBSERVATION = "customer_scores_observation"

_PART = r"[A-Z_][A-Z0-9_$]*"
_NAME = re.compile(rf"{_PART}(\.{_PART}){{0,2}}")
_STATEMENT_END = re.compile(r";[ \t]*$", re.MULTILINE)
_COMMENT_LINE = re.compile(r"^\s*--.*$", re.MULTILINE)


def customer_rfm_statements(models: ModelsConfig) -> list[str]:
    """The customer_rfm request: order history, the RFM table, class counts."""
    return split_sql(
        render(
            CUSTOMER_RFM,
            orders=models.orders,
            rfm_table=models.rfm_table,
            rfm_schema=_schema_of(models.rfm_table),
        )
    )


def customer_segments_statements(models: ModelsConfig) -> list[str]:
    """The customer_segments request: new rows, MERGE, DELETE, a summary."""
    return split_sql(
        render(
            CUSTOMER_SEGMENTS,
            customers=models.customers,
            customer_scores=models.customer_scores,
            rfm_table=models.rfm_table,
            segments_table=models.segments_table,
            segments_schema=_schema_of(models.segments_table),
        )
    )


def customer_scores_observation(models: ModelsConfig) -> str:
    """One cheap statement: the ML scores' row count and latest SCORE_DATE."""
    [statement] = split_sql(
        render(CUSTOMER_SCORES_OBSERVATION, customer_scores=models.customer_scores)
    )
    return statement


def render(name: str, **names: str) -> str:
    """Load `sql/<name>.sql` and fill in object names, each checked first.

    Raises ValueError for a name that is not a plain upper-case identifier of
    one to three parts.
    """
    for key, value in names.items():
        if not _NAME.fullmatch(value):
            raise ValueError(
                f"{key} {value!r} is not a plain upper-case Snowflake identifier"
            )
    text = resources.files("tajo_assets.models").joinpath(f"sql/{name}.sql")
    return text.read_text().format(**names)


def split_sql(text: str) -> list[str]:
    """The statements of a file, without their `;` and without comment-only parts.

    Hazard: a `;` at the end of a line inside a string literal or comment would
    split a statement; the model files keep them out.
    """
    statements = []
    for part in _STATEMENT_END.split(text):
        if _COMMENT_LINE.sub("", part).strip():
            statements.append(part.strip())
    return statements


def _schema_of(table: str) -> str:
    return table.rsplit(".", 1)[0]
