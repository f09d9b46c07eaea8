-- Rows the plan itself refuses: empty keys and keys that repeat within the result.
INSERT INTO {state_schema}.TAJO_REJECTIONS
    (RUN_ID, SYNC_NAME, SEQ, KEY, ACTION, CODE, REASON, REJECTED_BY, REJECTED_AT_UTC)
SELECT
    :run_id,
    :sync_name,
    TAJO_SEQ,
    TAJO_KEY,
    TAJO_ACTION,
    CASE WHEN TAJO_ACTION = 'invalid' THEN 'empty_key' ELSE 'duplicate_key' END,
    CASE
        WHEN TAJO_ACTION = 'invalid' THEN 'the contact key is empty'
        ELSE 'the key appears ' || TAJO_COPIES || ' times in the query result'
    END,
    'TAJO',
    :now_utc
FROM {plan_table}
WHERE TAJO_ACTION IN ('invalid', 'duplicate')
