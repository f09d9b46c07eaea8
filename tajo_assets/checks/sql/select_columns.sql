-- No rows, only the result's column list: what the field mapping must find.
SELECT * FROM {table} LIMIT 0
