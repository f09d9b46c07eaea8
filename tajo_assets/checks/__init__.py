"""Asset checks that gate the Brevo syncs; thresholds from tajo.yaml's `checks:`.

`build_checks` attaches the blocking checks to every audience a sync sends;
`build_row_count_check` guards any other asset that rebuilds a whole table.
"""

import dagster as dg

from tajo_assets.checks.audience import build_audience_checks
from tajo_assets.checks.row_count import build_row_count_check
from tajo_assets.config import TajoConfig

__all__ = ["build_audience_checks", "build_checks", "build_row_count_check"]


def build_checks(config: TajoConfig) -> list[dg.AssetChecksDefinition]:
    """One check step per synced audience (none when Brevo syncs are off)."""
    snowflake = config.snowflake
    if not (snowflake.enabled and snowflake.sync.customers):
        return []
    return [build_audience_checks(spec, config) for spec in config.syncs()]
