-- Rows of an incremental audience that Brevo has not acknowledged: the next run
-- reads them again with its own window, so a row Brevo rejected is retried even
-- if its data does not change. Rows refused before sending (an invalid email)
-- cannot succeed unchanged; a change brings them back in a later window.
CREATE OR REPLACE TRANSIENT TABLE {pending_table} AS
SELECT {columns}
FROM {plan_table} AS plan
WHERE plan.TAJO_ACTION IN ('create', 'update', 'relist')
    AND (
        plan.TAJO_SEQ > :last_acknowledged_seq
        OR plan.TAJO_SEQ IN (
            SELECT SEQ FROM {state_schema}.TAJO_REJECTIONS
            WHERE RUN_ID = :run_id AND SYNC_NAME = :sync_name
                AND REJECTED_BY = 'BREVO'
        )
    )
