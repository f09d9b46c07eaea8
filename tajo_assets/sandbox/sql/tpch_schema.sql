-- The shape of Snowflake's shared sample database, whatever the scale factor.
CREATE DATABASE IF NOT EXISTS SNOWFLAKE_SAMPLE_DATA;
CREATE SCHEMA IF NOT EXISTS SNOWFLAKE_SAMPLE_DATA.TPCH_SF1;
