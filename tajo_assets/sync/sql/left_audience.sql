-- A condition on a state row {state}: its key is no longer in the audience.
NOT EXISTS (SELECT 1 FROM {plan_table} AS plan WHERE plan.TAJO_KEY = {state}.KEY)
