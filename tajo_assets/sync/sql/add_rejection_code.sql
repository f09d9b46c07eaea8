-- TAJO_REJECTIONS tables made before the CODE column gain it (NULL in old rows).
ALTER TABLE {state_schema}.TAJO_REJECTIONS ADD COLUMN IF NOT EXISTS CODE VARCHAR
