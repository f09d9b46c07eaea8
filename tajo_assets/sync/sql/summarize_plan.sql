-- The plan in numbers, and how many members would leave their list: those who
-- left the audience (counted only where a mirror removes them) and those who
-- moved to another segment's list.
SELECT
    SUM(CASE WHEN TAJO_ACTION = 'create' THEN 1 ELSE 0 END) AS CREATES,
    SUM(CASE WHEN TAJO_ACTION = 'update' THEN 1 ELSE 0 END) AS UPDATES,
    SUM(CASE WHEN TAJO_ACTION = 'relist' THEN 1 ELSE 0 END) AS RELISTS,
    SUM(CASE WHEN TAJO_ACTION = 'unchanged' THEN 1 ELSE 0 END) AS UNCHANGED,
    SUM(CASE WHEN TAJO_ACTION = 'duplicate' THEN 1 ELSE 0 END) AS DUPLICATES,
    SUM(CASE WHEN TAJO_ACTION = 'invalid' THEN 1 ELSE 0 END) AS INVALID,
    SUM(
        CASE WHEN TAJO_RETRY AND TAJO_ACTION IN ('create', 'update', 'relist')
        THEN 1 ELSE 0 END
    ) AS RETRIES,
    COUNT(DISTINCT CASE WHEN TAJO_ACTION <> 'invalid' THEN TAJO_KEY END) AS AUDIENCE_KEYS,
    (SELECT COUNT(*) FROM {state_table} WHERE LISTED) AS LISTED_BEFORE,
    (
        SELECT COUNT(*) FROM {state_table} AS state
        WHERE state.LISTED AND ({left_audience})
    ) AS LEAVING,
    (
        SELECT COUNT(*) FROM {state_table} AS state
        WHERE state.LISTED AND ({moved})
    ) AS MOVING
FROM {plan_table}
