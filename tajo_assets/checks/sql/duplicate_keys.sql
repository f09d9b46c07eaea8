-- The most repeated keys, for a masked sample in the check's metadata.
SELECT NULLIF(LOWER(TRIM("{key_column}")), '') AS CONTACT_KEY, COUNT(*) AS ROW_COUNT
FROM {table}
GROUP BY 1
HAVING COUNT(*) > 1 AND CONTACT_KEY IS NOT NULL
ORDER BY ROW_COUNT DESC, CONTACT_KEY
LIMIT 5
