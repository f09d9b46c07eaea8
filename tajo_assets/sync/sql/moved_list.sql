-- A condition on a state row {state}: its key now belongs in another list.
EXISTS (
    SELECT 1 FROM {plan_table} AS plan
    WHERE plan.TAJO_KEY = {state}.KEY
        AND plan.TAJO_ACTION IN ('update', 'relist')
        AND plan.TAJO_LIST_ID <> {state}.LIST_ID
)
