-- Rows this run imported into the list that were members already, put there by
-- someone else: the project did not add them, so it must never remove them.
UPDATE {state_table}
SET LISTED = FALSE, FOREIGN_MEMBER = TRUE
WHERE LISTED AND LIST_ID = :list_id
    AND KEY IN (
        SELECT plan.TAJO_KEY
        FROM {plan_table} AS plan
        JOIN (VALUES {rows}) AS marked (SEQ) ON marked.SEQ = plan.TAJO_SEQ
    )
