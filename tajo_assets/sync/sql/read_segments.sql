-- The values of the segment column, each of which gets a Brevo list; NULL and
-- blank values name no segment. Values are trimmed of spaces, as Brevo trims a
-- list name: Gold and Gold with a trailing space are one segment.
SELECT DISTINCT TRIM(CAST(segments.SEGMENT AS VARCHAR)) AS SEGMENT
FROM (
    SELECT {column} AS SEGMENT FROM {snapshot_table}
    {pending}
) AS segments
WHERE segments.SEGMENT IS NOT NULL
    AND TRIM(CAST(segments.SEGMENT AS VARCHAR)) <> ''
ORDER BY 1
