-- Empty the pending rows and give them the snapshot's columns, after the query or
-- its mapping changed: the widened window reads every row again anyway.
CREATE OR REPLACE TRANSIENT TABLE {pending_table} AS
SELECT * FROM {snapshot_table} WHERE FALSE
