-- TPC-H CUSTOMER from tpchgen-cli's parquet file (bound as the only parameter),
-- with Snowflake's upper-case column names and types. read_parquet is DuckDB's:
-- this file is for the local sandbox only.
CREATE OR REPLACE TABLE SNOWFLAKE_SAMPLE_DATA.TPCH_SF1.CUSTOMER AS
SELECT
    CAST(c_custkey AS NUMBER(38, 0)) AS C_CUSTKEY,
    CAST(c_name AS VARCHAR(25)) AS C_NAME,
    CAST(c_address AS VARCHAR(40)) AS C_ADDRESS,
    CAST(c_nationkey AS NUMBER(38, 0)) AS C_NATIONKEY,
    CAST(c_phone AS VARCHAR(15)) AS C_PHONE,
    CAST(c_acctbal AS NUMBER(12, 2)) AS C_ACCTBAL,
    CAST(c_mktsegment AS VARCHAR(10)) AS C_MKTSEGMENT,
    CAST(c_comment AS VARCHAR(117)) AS C_COMMENT
FROM read_parquet(?)
ORDER BY C_CUSTKEY;
