-- 6. The service user tajo signs in as, with no password.
USE ROLE SECURITYADMIN;
CREATE USER IF NOT EXISTS {user}
  TYPE = SERVICE
  DEFAULT_ROLE = {role}
  DEFAULT_WAREHOUSE = {warehouse}
  COMMENT = 'tajo-assets';
GRANT ROLE {role} TO USER {user};
