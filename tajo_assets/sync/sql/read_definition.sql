-- The definition (query and mapping) Brevo last acknowledged a run of, if any.
SELECT MAX(DEFINITION_HASH) AS DEFINITION_HASH
FROM {state_schema}.TAJO_SYNCS
WHERE SYNC_NAME = :sync_name
