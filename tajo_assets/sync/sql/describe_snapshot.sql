-- The snapshot's columns, without reading a row.
SELECT * FROM {snapshot_table} LIMIT 0
