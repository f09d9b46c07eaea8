-- Rows earlier runs left unacknowledged, by column name: a column the snapshot
-- gained since is NULL for them.
UNION ALL
SELECT {pending_columns} FROM {pending_table} AS pending
WHERE NOT EXISTS (
    SELECT 1 FROM {snapshot_table} AS fresh WHERE {fresh_key} = {pending_key}
)
