-- 2. A warehouse of its own, suspended after 5 idle minutes and resumed on use,
-- so tajo's cost shows on one warehouse. SYSADMIN owns warehouses and data.
USE ROLE SYSADMIN;
CREATE WAREHOUSE IF NOT EXISTS {warehouse}
  WAREHOUSE_SIZE = XSMALL
  AUTO_SUSPEND = 300
  AUTO_RESUME = TRUE
  INITIALLY_SUSPENDED = TRUE
  COMMENT = 'tajo-assets';
GRANT USAGE ON WAREHOUSE {warehouse} TO ROLE {role};
