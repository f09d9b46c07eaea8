-- MARKETING_DB.PUBLIC.CUSTOMER_SEGMENTS: one row per TPC-H customer, with the
-- contact details and metrics a marketing team syncs to Brevo.
--
-- Deterministic by design: no CURRENT_DATE, no RANDOM. Everything is measured
-- against the reference date 2026-12-01; order dates are shifted so that the
-- latest TPC-H order falls on 2026-11-30, the day before it. Names come from
-- fixed lists picked by customer key; emails derive from the names and the key.
-- About 0.1% of emails are invalid (no "@", two "@", no domain) and about 0.4%
-- carry surrounding spaces or upper case, for the sync engine to reject or
-- normalize.
CREATE DATABASE IF NOT EXISTS MARKETING_DB;
CREATE SCHEMA IF NOT EXISTS MARKETING_DB.PUBLIC;

CREATE OR REPLACE TABLE MARKETING_DB.PUBLIC.CUSTOMER_SEGMENTS AS
WITH first_names AS (
    SELECT column1 AS IDX, column2 AS NAME, column3 AS EMAIL_NAME
    FROM VALUES
        (0, 'Liam', 'liam'), (1, 'Sofia', 'sofia'), (2, 'Mateo', 'mateo'),
        (3, 'आशा', 'asha'), (4, 'Chloe', 'chloe'), (5, 'Noah', 'noah'),
        (6, 'Amara', 'amara'), (7, 'ليلى', 'layla'), (8, 'Lucas', 'lucas'),
        (9, 'Elena', 'elena'), (10, 'प्रिया', 'priya'), (11, 'Kenji', 'kenji'),
        (12, 'Zara', 'zara'), (13, 'عمر', 'omar'), (14, 'Oliver', 'oliver'),
        (15, 'Mei', 'mei'), (16, 'अर्जुन', 'arjun'), (17, 'Tomas', 'tomas'),
        (18, 'Ingrid', 'ingrid'), (19, 'فاطمة', 'fatima'), (20, 'Diego', 'diego'),
        (21, 'Nadia', 'nadia'), (22, 'Hugo', 'hugo'), (23, 'Aisha', 'aisha')
),
last_names AS (
    SELECT column1 AS IDX, column2 AS NAME, column3 AS EMAIL_NAME
    FROM VALUES
        (0, 'Garcia', 'garcia'), (1, 'वर्मा', 'verma'), (2, 'Okafor', 'okafor'),
        (3, 'Nguyen', 'nguyen'), (4, 'حداد', 'haddad'), (5, 'Schmidt', 'schmidt'),
        (6, 'Rossi', 'rossi'), (7, 'शर्मा', 'sharma'), (8, 'Kowalski', 'kowalski'),
        (9, 'Silva', 'silva'), (10, 'منصور', 'mansour'), (11, 'Tanaka', 'tanaka'),
        (12, 'Dubois', 'dubois'), (13, 'पटेल', 'patel'), (14, 'Andersen', 'andersen'),
        (15, 'O''Neil', 'oneil'), (16, 'Cohen', 'cohen'), (17, 'Novak', 'novak'),
        (18, 'Jensen', 'jensen'), (19, 'Moreau', 'moreau')
),
order_history AS (
    SELECT
        O_CUSTKEY,
        COUNT(*) AS ORDER_COUNT,
        SUM(O_TOTALPRICE) AS SPEND,
        MAX(O_ORDERDATE) AS LAST_ORDER_DATE
    FROM SNOWFLAKE_SAMPLE_DATA.TPCH_SF1.ORDERS
    GROUP BY O_CUSTKEY
),
date_shift AS (
    SELECT DATEDIFF(day, MAX(O_ORDERDATE), '2026-11-30'::DATE) AS DAYS
    FROM SNOWFLAKE_SAMPLE_DATA.TPCH_SF1.ORDERS
),
rfm AS (
    -- Quintiles over customers with orders; the key breaks ties so ranks are stable.
    SELECT
        h.O_CUSTKEY,
        h.ORDER_COUNT,
        h.SPEND,
        DATEADD(day, s.DAYS, h.LAST_ORDER_DATE) AS LAST_PURCHASE_DATE,
        NTILE(5) OVER (ORDER BY h.LAST_ORDER_DATE, h.O_CUSTKEY) AS R,
        NTILE(5) OVER (ORDER BY h.ORDER_COUNT, h.O_CUSTKEY) AS F,
        NTILE(5) OVER (ORDER BY h.SPEND, h.O_CUSTKEY) AS M
    FROM order_history AS h
    CROSS JOIN date_shift AS s
),
people AS (
    SELECT
        c.C_CUSTKEY,
        c.C_MKTSEGMENT,
        f.NAME AS FIRST_NAME,
        l.NAME AS LAST_NAME,
        f.EMAIL_NAME || '.' || l.EMAIL_NAME || '.'
            || IFF(c.C_CUSTKEY < 1000000, LPAD(c.C_CUSTKEY::VARCHAR, 6, '0'), c.C_CUSTKEY::VARCHAR)
            AS EMAIL_LOCAL
    FROM SNOWFLAKE_SAMPLE_DATA.TPCH_SF1.CUSTOMER AS c
    JOIN first_names AS f ON f.IDX = MOD(c.C_CUSTKEY, 24)
    JOIN last_names AS l ON l.IDX = MOD(c.C_CUSTKEY * 7 + 3, 20)
)
SELECT
    CAST(p.C_CUSTKEY AS NUMBER(38, 0)) AS CUSTOMER_ID,
    CAST(
        CASE
            WHEN MOD(p.C_CUSTKEY, 1000) = 7 THEN
                CASE MOD(p.C_CUSTKEY, 3)
                    WHEN 0 THEN p.EMAIL_LOCAL || '.example.com'
                    WHEN 1 THEN p.EMAIL_LOCAL || '@mail@example.com'
                    ELSE p.EMAIL_LOCAL || '@'
                END
            WHEN MOD(p.C_CUSTKEY, 500) = 3 THEN '  ' || p.EMAIL_LOCAL || '@example.com '
            WHEN MOD(p.C_CUSTKEY, 500) = 4 THEN UPPER(p.EMAIL_LOCAL || '@example.com')
            ELSE p.EMAIL_LOCAL || '@example.com'
        END AS VARCHAR
    ) AS EMAIL,
    CAST(p.FIRST_NAME AS VARCHAR) AS FIRST_NAME,
    CAST(p.LAST_NAME AS VARCHAR) AS LAST_NAME,
    CAST(INITCAP(p.C_MKTSEGMENT) AS VARCHAR) AS SEGMENT_NAME,
    CAST(COALESCE(r.SPEND, 0) AS NUMBER(12, 2)) AS LTV_SCORE,
    CAST(
        CASE
            -- Customers who never ordered have no relationship left to win back.
            WHEN r.O_CUSTKEY IS NULL THEN 'Lost'
            WHEN r.R >= 4 AND r.F >= 4 AND r.M >= 4 THEN 'Champions'
            WHEN r.R >= 3 AND r.F >= 4 THEN 'Loyal'
            WHEN r.R >= 4 THEN 'Potential Loyalists'
            WHEN r.R <= 2 AND r.F >= 3 THEN 'At Risk'
            WHEN r.R = 1 THEN 'Lost'
            ELSE 'Hibernating'
        END AS VARCHAR
    ) AS RFM_CLASS,
    CAST(COALESCE(r.ORDER_COUNT, 0) AS NUMBER(38, 0)) AS TOTAL_ORDERS,
    CAST(r.LAST_PURCHASE_DATE AS DATE) AS LAST_PURCHASE_DATE,
    CAST(
        CASE
            WHEN r.O_CUSTKEY IS NULL THEN 1.0
            ELSE ROUND(
                0.7 * LEAST(1.0, DATEDIFF(day, r.LAST_PURCHASE_DATE, '2026-12-01'::DATE) / 730.0)
                + 0.3 * (5 - r.F) / 4.0,
                4
            )
        END AS FLOAT
    ) AS PREDICTED_CHURN,
    CAST(
        DATEADD(second, -MOD(p.C_CUSTKEY * 7919, 86400), '2026-12-01 00:00:00'::TIMESTAMP_NTZ)
        AS TIMESTAMP_NTZ
    ) AS UPDATED_AT
FROM people AS p
LEFT JOIN rfm AS r ON r.O_CUSTKEY = p.C_CUSTKEY
ORDER BY CUSTOMER_ID;
