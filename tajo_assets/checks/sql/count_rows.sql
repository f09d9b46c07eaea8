-- COUNT(*) over a whole table is answered from metadata, without warehouse compute.
SELECT COUNT(*) AS ROW_COUNT FROM {table}
