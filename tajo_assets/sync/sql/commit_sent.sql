-- Brevo acknowledged the import processes that carried rows first_seq..last_seq:
-- their fingerprints become the state, except for the rows it rejected (kept with
-- their reason, so the next run retries them) and those never sent.
-- Bound values enter through the USING rows only.
MERGE INTO {state_table} AS state
USING (
    SELECT
        plan.TAJO_KEY AS KEY,
        plan.TAJO_FINGERPRINT AS FINGERPRINT,
        rejected.REASON AS REASON,
        plan.TAJO_LIST_ID AS LIST_ID,
        :now_utc AS NOW_UTC{filled_select}
    FROM {plan_table} AS plan
    LEFT JOIN (
        SELECT SEQ, MAX(REASON) AS REASON
        FROM {state_schema}.TAJO_REJECTIONS
        WHERE RUN_ID = :run_id AND SYNC_NAME = :sync_name AND REJECTED_BY = 'BREVO'
        GROUP BY SEQ
    ) AS rejected ON rejected.SEQ = plan.TAJO_SEQ
    WHERE plan.TAJO_ACTION IN ('create', 'update', 'relist')
        AND plan.TAJO_SEQ BETWEEN :first_seq AND :last_seq
        -- Rows never sent (refused by Tajo) leave the state as it was.
        AND NOT EXISTS (
            SELECT 1 FROM {state_schema}.TAJO_REJECTIONS AS refused
            WHERE refused.RUN_ID = :run_id AND refused.SYNC_NAME = :sync_name
                AND refused.REJECTED_BY = 'TAJO' AND refused.SEQ = plan.TAJO_SEQ
        )
) AS acknowledged
ON state.KEY = acknowledged.KEY
WHEN MATCHED AND acknowledged.REASON IS NULL THEN UPDATE SET
    FINGERPRINT = acknowledged.FINGERPRINT,
    SYNCED_AT_UTC = acknowledged.NOW_UTC,
    LISTED = TRUE,
    LIST_ID = acknowledged.LIST_ID,
    LAST_ERROR = NULL,
    LAST_ERROR_AT_UTC = NULL{filled_update}
WHEN MATCHED THEN UPDATE SET
    LAST_ERROR = acknowledged.REASON,
    LAST_ERROR_AT_UTC = acknowledged.NOW_UTC
WHEN NOT MATCHED AND acknowledged.REASON IS NULL THEN INSERT
    (KEY, FINGERPRINT, SYNCED_AT_UTC, LISTED, LIST_ID, LAST_ERROR,
        LAST_ERROR_AT_UTC{filled_column})
    VALUES (
        acknowledged.KEY,
        acknowledged.FINGERPRINT,
        acknowledged.NOW_UTC,
        TRUE,
        acknowledged.LIST_ID,
        NULL,
        NULL{filled_value}
    )
WHEN NOT MATCHED THEN INSERT
    (KEY, FINGERPRINT, SYNCED_AT_UTC, LISTED, LIST_ID, LAST_ERROR, LAST_ERROR_AT_UTC)
    VALUES (
        acknowledged.KEY,
        NULL,
        NULL,
        FALSE,
        NULL,
        acknowledged.REASON,
        acknowledged.NOW_UTC
    )
