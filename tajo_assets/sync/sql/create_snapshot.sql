CREATE OR REPLACE TRANSIENT TABLE {snapshot_table} AS
{query}
