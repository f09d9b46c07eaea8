-- Members this project added to the list whose rows left the audience, by key.
SELECT state.KEY
FROM {state_table} AS state
WHERE state.LISTED AND state.LIST_ID = :list_id
    AND NOT EXISTS (SELECT 1 FROM {plan_table} AS plan WHERE plan.TAJO_KEY = state.KEY)
ORDER BY state.KEY
