-- Members this project put in a list who must leave it, list by list in key order:
-- those whose rows left the audience (mirror) and those who moved to another
-- segment's list.
SELECT state.KEY, state.LIST_ID
FROM {state_table} AS state
WHERE state.LISTED AND ({leaving})
ORDER BY state.LIST_ID, state.KEY
