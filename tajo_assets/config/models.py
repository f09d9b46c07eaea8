"""The `models:` block: warehouse models built from orders, contacts and ML scores.

Absent means no models. Every table is a fully qualified name of unquoted
identifiers (DATABASE.SCHEMA.TABLE), upper-cased here, because the names are
placed in the models' SQL text and must be checked before they are.
"""

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from tajo_assets.config.errors import invalid_value
from tajo_assets.config.fields import PositiveNumber, Text
from tajo_assets.config.section import Section

_PART = r"[A-Za-z_][A-Za-z0-9_$]{0,254}"
_QUALIFIED_TABLE = re.compile(rf"{_PART}\.{_PART}\.{_PART}")


def check_qualified_table(value: str) -> str:
    """DATABASE.SCHEMA.TABLE of unquoted identifiers, returned upper-case."""
    if _QUALIFIED_TABLE.fullmatch(value):
        return value.upper()
    raise invalid_value(
        "a fully qualified table name DATABASE.SCHEMA.TABLE of unquoted "
        "identifiers (letters, digits, _ and $), e.g. 'MARKETING_DB.PUBLIC.CUSTOMERS'"
    )


QualifiedTable = Annotated[Text, AfterValidator(check_qualified_table)]


class ModelsConfig(Section):
    """Where the models read and write; the defaults are the sandbox's tables.

    Source column contracts (a view can rename a table's columns to these):
    `orders` has O_CUSTKEY, O_ORDERDATE (DATE) and O_TOTALPRICE, as TPC-H's
    ORDERS; `customers` has CUSTOMER_ID, EMAIL, FIRST_NAME and LAST_NAME;
    `customer_scores` has EMAIL, PREDICTED_LTV, CHURN_SCORE and SCORE_DATE.
    """

    orders: QualifiedTable = Field(
        "SNOWFLAKE_SAMPLE_DATA.TPCH_SF1.ORDERS",
        description="orders table with O_CUSTKEY, O_ORDERDATE, O_TOTALPRICE",
    )
    customers: QualifiedTable = Field(
        "MARKETING_DB.PUBLIC.CUSTOMERS",
        description="contacts table with CUSTOMER_ID, EMAIL, FIRST_NAME, LAST_NAME",
    )
    customer_scores: QualifiedTable = Field(
        "MARKETING_DB.ML_PREDICTIONS.CUSTOMER_SCORES",
        description="ML scores table with EMAIL, PREDICTED_LTV, CHURN_SCORE, "
        "SCORE_DATE, written by a job outside Tajo",
    )
    rfm_table: QualifiedTable = Field(
        "MARKETING_DB.ANALYTICS.CUSTOMER_RFM",
        description="table the customer_rfm model replaces on every run",
    )
    segments_table: QualifiedTable = Field(
        "MARKETING_DB.PUBLIC.CUSTOMER_SEGMENTS",
        description="table the customer_segments model merges into",
    )
    scores_freshness_hours: PositiveNumber = Field(
        48,
        description="hours after its latest SCORE_DATE before the ML scores "
        "table counts as overdue",
    )

    def source_tables(self) -> dict[str, str]:
        """Input role -> table: what the models read."""
        return {
            "orders": self.orders,
            "customers": self.customers,
            "customer_scores": self.customer_scores,
        }
