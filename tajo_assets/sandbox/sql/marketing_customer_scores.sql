-- MARKETING_DB.ML_PREDICTIONS.CUSTOMER_SCORES: what an outside churn model
-- wrote for each contact, keyed by email as ML tables often are (emails as the
-- contacts table has them, messy ones included). Derived here from orders and
-- contacts directly, never from Tajo's models, and dated 2026-11-30.
--
-- CHURN_SCORE mixes how long ago the last order was (days before the day after
-- the latest order in the table, capped at two years) with the order-count
-- quintile. Contacts who never ordered score 1.0. PREDICTED_LTV is the spend
-- the model expects to keep: lifetime spend times the probability of staying.
CREATE SCHEMA IF NOT EXISTS MARKETING_DB.ML_PREDICTIONS;

CREATE OR REPLACE TABLE MARKETING_DB.ML_PREDICTIONS.CUSTOMER_SCORES AS
WITH order_history AS (
    SELECT
        O_CUSTKEY,
        COUNT(*) AS ORDER_COUNT,
        SUM(O_TOTALPRICE) AS SPEND,
        MAX(O_ORDERDATE) AS LAST_ORDER_DATE
    FROM SNOWFLAKE_SAMPLE_DATA.TPCH_SF1.ORDERS
    GROUP BY O_CUSTKEY
),
scoring_day AS (
    SELECT DATEADD(day, 1, MAX(O_ORDERDATE)) AS DAY
    FROM SNOWFLAKE_SAMPLE_DATA.TPCH_SF1.ORDERS
),
churn AS (
    SELECT
        h.O_CUSTKEY,
        h.SPEND,
        ROUND(
            0.7 * LEAST(1.0, DATEDIFF(day, h.LAST_ORDER_DATE, d.DAY) / 730.0)
            + 0.3 * (5 - NTILE(5) OVER (ORDER BY h.ORDER_COUNT, h.O_CUSTKEY)) / 4.0,
            4
        ) AS CHURN_SCORE
    FROM order_history AS h
    CROSS JOIN scoring_day AS d
)
SELECT
    c.EMAIL,
    c.FIRST_NAME,
    c.LAST_NAME,
    CAST(
        ROUND(COALESCE(h.SPEND, 0) * (1 - COALESCE(h.CHURN_SCORE, 1.0)), 2)
        AS NUMBER(12, 2)
    ) AS PREDICTED_LTV,
    CAST(COALESCE(h.CHURN_SCORE, 1.0) AS FLOAT) AS CHURN_SCORE,
    '2026-11-30'::DATE AS SCORE_DATE
FROM MARKETING_DB.PUBLIC.CUSTOMERS AS c
LEFT JOIN churn AS h ON h.O_CUSTKEY = c.CUSTOMER_ID
ORDER BY c.CUSTOMER_ID;
