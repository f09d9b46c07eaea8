-- 1. The role tajo runs as. SECURITYADMIN manages roles and users.
USE ROLE SECURITYADMIN;
CREATE ROLE IF NOT EXISTS {role} COMMENT = 'tajo-assets: reverse ETL to Brevo';
-- SYSADMIN inherits the role, so it keeps control of what the role owns.
GRANT ROLE {role} TO ROLE SYSADMIN;
