-- 3. Read access to exactly what the configured queries (and models) read.
-- A view takes GRANT SELECT ON VIEW instead of ON TABLE.
{grants}
