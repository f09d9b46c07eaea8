-- TPC-H ORDERS from tpchgen-cli's parquet file (bound as the only parameter),
-- with Snowflake's upper-case column names and types. read_parquet is DuckDB's:
-- this file is for the local sandbox only.
CREATE OR REPLACE TABLE SNOWFLAKE_SAMPLE_DATA.TPCH_SF1.ORDERS AS
SELECT
    CAST(o_orderkey AS NUMBER(38, 0)) AS O_ORDERKEY,
    CAST(o_custkey AS NUMBER(38, 0)) AS O_CUSTKEY,
    CAST(o_orderstatus AS VARCHAR(1)) AS O_ORDERSTATUS,
    CAST(o_totalprice AS NUMBER(12, 2)) AS O_TOTALPRICE,
    CAST(o_orderdate AS DATE) AS O_ORDERDATE,
    CAST(o_orderpriority AS VARCHAR(15)) AS O_ORDERPRIORITY,
    CAST(o_clerk AS VARCHAR(15)) AS O_CLERK,
    CAST(o_shippriority AS NUMBER(38, 0)) AS O_SHIPPRIORITY,
    CAST(o_comment AS VARCHAR(79)) AS O_COMMENT
FROM read_parquet(?)
ORDER BY O_ORDERKEY;
