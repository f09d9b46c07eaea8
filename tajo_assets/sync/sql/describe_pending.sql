-- The pending table's columns, without reading a row.
SELECT * FROM {pending_table} LIMIT 0
