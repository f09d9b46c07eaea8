-- The rows to send, in plan order so that import bodies cover runs of TAJO_SEQ.
SELECT * FROM {plan_table}
WHERE TAJO_ACTION IN ('create', 'update', 'relist')
ORDER BY TAJO_SEQ
