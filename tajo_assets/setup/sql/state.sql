-- 4. The sync state: tajo creates and replaces its tables in this schema only,
-- so its role owns the schema rather than holding CREATE SCHEMA on the database.
CREATE SCHEMA IF NOT EXISTS {state_schema} COMMENT = 'tajo-assets sync state';
GRANT OWNERSHIP ON SCHEMA {state_schema} TO ROLE {role} COPY CURRENT GRANTS;
