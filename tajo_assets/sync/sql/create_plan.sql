-- What this run does with each row, decided in the warehouse against the state:
-- only rows whose action is create, update or relist leave Snowflake. Each row
-- gets the Brevo list it belongs in (TAJO_LIST_ID: the sync's list, or its
-- segment's list), and sequence numbers run list by list so that an import
-- body, which names one list, covers a run of them.
CREATE OR REPLACE TRANSIENT TABLE {plan_table} AS
WITH source AS (
    SELECT * FROM {snapshot_table}
    {pending}
),
keyed AS (
    SELECT
        source.*,
        {key} AS TAJO_KEY,
        MD5({fingerprint}) AS TAJO_FINGERPRINT,
        {target_list} AS TAJO_LIST_ID
    FROM source
    {list_join}
),
counted AS (
    SELECT keyed.*, COUNT(*) OVER (PARTITION BY TAJO_KEY) AS TAJO_COPIES
    FROM keyed
)
SELECT
    counted.*,
    ROW_NUMBER() OVER (
        ORDER BY counted.TAJO_LIST_ID, counted.TAJO_KEY, counted.TAJO_FINGERPRINT
    ) AS TAJO_SEQ,
    CASE
        WHEN counted.TAJO_KEY IS NULL OR counted.TAJO_KEY = '' THEN 'invalid'
        WHEN counted.TAJO_COPIES > 1 THEN 'duplicate'
        WHEN state.KEY IS NULL OR state.FINGERPRINT IS NULL THEN 'create'
        WHEN :full_resync OR state.FINGERPRINT <> counted.TAJO_FINGERPRINT THEN 'update'
        WHEN NOT (state.LISTED AND state.LIST_ID = counted.TAJO_LIST_ID) THEN 'relist'
        ELSE 'unchanged'
    END AS TAJO_ACTION,
    COALESCE(state.LAST_ERROR IS NOT NULL, FALSE) AS TAJO_RETRY,
    COALESCE(state.LISTED AND state.LIST_ID = counted.TAJO_LIST_ID, FALSE)
        AS TAJO_IN_LIST{filled}
FROM counted
LEFT JOIN {state_table} AS state ON state.KEY = counted.TAJO_KEY
