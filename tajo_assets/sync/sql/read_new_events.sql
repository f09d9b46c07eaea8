-- Rows of the snapshot whose event id this sync never sent nor tried to send:
-- the anti-join runs here, so only new events leave the warehouse. TAJO_COPY
-- numbers the rows that share an id (only copy 1 is sent); a NULL id comes
-- through with TAJO_EVENT_ID NULL and is refused before sending.
SELECT
    source.*,
    CAST(source.{id_column} AS VARCHAR) AS TAJO_EVENT_ID,
    ROW_NUMBER() OVER (
        PARTITION BY CAST(source.{id_column} AS VARCHAR)
        ORDER BY CAST(source.{id_column} AS VARCHAR)
    ) AS TAJO_COPY
FROM {snapshot_table} AS source
WHERE NOT EXISTS (
    SELECT 1
    FROM {events_table} AS known
    WHERE known.EVENT_ID = CAST(source.{id_column} AS VARCHAR)
)
ORDER BY TAJO_EVENT_ID, TAJO_COPY
