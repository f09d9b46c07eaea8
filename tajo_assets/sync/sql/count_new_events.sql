-- How many rows of the snapshot carry an event id this sync has not seen.
SELECT COUNT(*)
FROM {snapshot_table} AS source
WHERE NOT EXISTS (
    SELECT 1
    FROM {events_table} AS known
    WHERE known.EVENT_ID = CAST(source.{id_column} AS VARCHAR)
)
