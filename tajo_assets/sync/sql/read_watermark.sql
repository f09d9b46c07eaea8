-- The warehouse clock (UTC) and the last acknowledged watermark of one query.
SELECT
    CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP())::TIMESTAMP_NTZ AS NOW_UTC,
    (
        SELECT MAX(LAST_SYNC_UTC)
        FROM {state_schema}.TAJO_WATERMARKS
        WHERE QUERY_NAME = :query_name
    ) AS LAST_SYNC_UTC
