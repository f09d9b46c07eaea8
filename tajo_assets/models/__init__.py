"""Warehouse models: SQL in `sql/*.sql`, run in Snowflake, rendered here.

`customer_rfm` enriches orders with recency, frequency and monetary value;
`customer_segments` joins contacts, that enrichment and the ML scores into the
audience table the seed's `customer_segments` query reads.
"""

from tajo_assets.models.statements import (
    CUSTOMER_RFM,
    CUSTOMER_SEGMENTS,
    customer_rfm_statements,
    customer_scores_observation,
    customer_segments_statements,
    split_sql,
)

__all__ = [
    "CUSTOMER_RFM",
    "CUSTOMER_SEGMENTS",
    "customer_rfm_statements",
    "customer_scores_observation",
    "customer_segments_statements",
    "split_sql",
]
