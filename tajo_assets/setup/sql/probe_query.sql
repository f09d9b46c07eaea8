SELECT * FROM (
{query}
) LIMIT 0
