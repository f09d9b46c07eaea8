-- Runs only after Brevo acknowledged every contact of the snapshot.
MERGE INTO {state_schema}.TAJO_WATERMARKS AS target
USING (
    SELECT
        :query_name AS QUERY_NAME,
        :last_sync_utc AS LAST_SYNC_UTC,
        :definition_hash AS DEFINITION_HASH,
        :updated_at_utc AS UPDATED_AT_UTC
) AS source
ON target.QUERY_NAME = source.QUERY_NAME
WHEN MATCHED THEN UPDATE SET
    LAST_SYNC_UTC = source.LAST_SYNC_UTC,
    DEFINITION_HASH = source.DEFINITION_HASH,
    UPDATED_AT_UTC = source.UPDATED_AT_UTC
WHEN NOT MATCHED THEN INSERT (QUERY_NAME, LAST_SYNC_UTC, DEFINITION_HASH, UPDATED_AT_UTC)
    VALUES (
        source.QUERY_NAME,
        source.LAST_SYNC_UTC,
        source.DEFINITION_HASH,
        source.UPDATED_AT_UTC
    )
