-- One pass over the snapshot's contact keys, normalized as the sync does
-- (tajo_assets/sync/keys.py: trimmed, lower-cased). TRIM here removes spaces
-- only, where Python also strips tabs and newlines. An empty key counts as NULL.
WITH keys AS (
    SELECT NULLIF(LOWER(TRIM("{key_column}")), '') AS CONTACT_KEY
    FROM {table}
)
SELECT
    COUNT(*) AS ROW_COUNT,
    COUNT_IF(CONTACT_KEY IS NULL) AS NULL_KEYS,
    COUNT(CONTACT_KEY) - COUNT(DISTINCT CONTACT_KEY) AS DUPLICATE_KEYS,
    COUNT_IF(
        LENGTH(CONTACT_KEY) <= :max_email_length
        AND REGEXP_LIKE(CONTACT_KEY, :email_pattern)
    ) AS VALID_EMAILS
FROM keys
