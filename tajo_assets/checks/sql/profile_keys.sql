-- One pass over the snapshot's contact keys, normalized as the sync does
-- (tajo_assets.sync.keys.key_sql for the sync's kind of key); an empty key
-- counts as NULL. VALID_KEYS counts the keys of the kind's format, and is
-- NULL for a kind without one (ext_id).
WITH keys AS (
    SELECT NULLIF({key}, '') AS CONTACT_KEY
    FROM {table}
)
SELECT
    COUNT(*) AS ROW_COUNT,
    COUNT_IF(CONTACT_KEY IS NULL) AS NULL_KEYS,
    COUNT(CONTACT_KEY) - COUNT(DISTINCT CONTACT_KEY) AS DUPLICATE_KEYS,
    {valid_keys} AS VALID_KEYS
FROM keys
