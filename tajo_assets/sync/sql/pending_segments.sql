-- The segment values of rows earlier runs left pending.
UNION ALL SELECT {column} FROM {pending_table}
