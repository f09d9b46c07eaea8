-- The warehouse clock (UTC), and the last acknowledged watermark of one query
-- with the fingerprint of the query and mapping it was acknowledged for.
SELECT
    CONVERT_TIMEZONE('UTC', CURRENT_TIMESTAMP())::TIMESTAMP_NTZ AS NOW_UTC,
    MAX(LAST_SYNC_UTC) AS LAST_SYNC_UTC,
    MAX(DEFINITION_HASH) AS DEFINITION_HASH
FROM {state_schema}.TAJO_WATERMARKS
WHERE QUERY_NAME = :query_name
