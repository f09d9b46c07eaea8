UNION ALL
SELECT * FROM {pending_table} AS pending
WHERE NOT EXISTS (
    SELECT 1 FROM {snapshot_table} AS fresh WHERE {fresh_key} = {pending_key}
)
