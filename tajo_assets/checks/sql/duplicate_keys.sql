-- The most repeated keys, normalized as in profile_keys.sql, for a masked
-- sample in the check's metadata.
SELECT NULLIF({key}, '') AS CONTACT_KEY, COUNT(*) AS ROW_COUNT
FROM {table}
GROUP BY 1
HAVING COUNT(*) > 1 AND CONTACT_KEY IS NOT NULL
ORDER BY ROW_COUNT DESC, CONTACT_KEY
LIMIT 5
