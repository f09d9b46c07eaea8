-- Brevo acknowledged removing every leaving member up to last_key (in key order).
UPDATE {state_table}
SET LISTED = FALSE, SYNCED_AT_UTC = :now_utc
WHERE LISTED AND LIST_ID = :list_id AND KEY <= :last_key
    AND NOT EXISTS (
        SELECT 1 FROM {plan_table} AS plan WHERE plan.TAJO_KEY = {state_table}.KEY
    )
