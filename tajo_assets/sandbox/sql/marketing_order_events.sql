-- MARKETING_DB.PUBLIC.ORDER_EVENTS: one row per TPC-H order as an event a
-- marketing team would send (order_placed), with the customer's email. A view,
-- so it costs nothing to build and follows edits of ORDERS and CUSTOMERS.
-- ORDERED_AT is naive (TIMESTAMP_NTZ): wall-clock time in the sync's timezone.
CREATE OR REPLACE VIEW MARKETING_DB.PUBLIC.ORDER_EVENTS AS
SELECT
    o.O_ORDERKEY AS ORDER_ID,
    'order_placed' AS EVENT_NAME,
    c.EMAIL,
    CAST(o.O_ORDERDATE AS TIMESTAMP_NTZ) AS ORDERED_AT,
    o.O_TOTALPRICE AS TOTAL,
    o.O_ORDERPRIORITY AS PRIORITY
FROM SNOWFLAKE_SAMPLE_DATA.TPCH_SF1.ORDERS AS o
JOIN MARKETING_DB.PUBLIC.CUSTOMERS AS c ON c.CUSTOMER_ID = o.O_CUSTKEY;
