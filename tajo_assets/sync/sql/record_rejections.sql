-- Rows this run did not get acknowledged, with the reason Brevo (or we) gave.
INSERT INTO {state_schema}.TAJO_REJECTIONS
    (RUN_ID, SYNC_NAME, SEQ, KEY, ACTION, CODE, REASON, REJECTED_BY, REJECTED_AT_UTC)
SELECT
    :run_id,
    :sync_name,
    rejected.SEQ,
    rejected.KEY,
    rejected.ACTION,
    rejected.CODE,
    rejected.REASON,
    rejected.REJECTED_BY,
    :now_utc
FROM (VALUES {rows}) AS rejected (SEQ, KEY, ACTION, CODE, REASON, REJECTED_BY)
