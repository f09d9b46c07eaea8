-- {database_comment} is shared by Snowflake with every account: its schemas
-- and tables refuse GRANT USAGE and GRANT SELECT. Read access is IMPORTED
-- PRIVILEGES on the whole (read-only) database, granted with MANAGE GRANTS.
USE ROLE SECURITYADMIN;
GRANT IMPORTED PRIVILEGES ON DATABASE {database} TO ROLE {role};
USE ROLE SYSADMIN;
