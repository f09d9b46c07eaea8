-- customer_rfm: recency, frequency and monetary value of every customer who
-- ordered, scored in quintiles and named, with a lifetime value (LTV) figure.
-- Sent as one multi-statement request, in one session, so the temporary
-- order history is visible to the statements after it.
--
-- Recency is counted in days back from the latest order date in the orders
-- table (REFERENCE_DATE), not from today: a stale extract still spreads over
-- all five recency scores. Quintiles use NTILE(5) with the customer key as
-- tie-breaker, so equal values get stable scores (5 is best). A customer whose
-- order dates or totals are all NULL sorts first, in the worst quintile: an
-- ascending ORDER BY puts NULLs last by default, which would score them best.
-- LTV is the historic lifetime value: the sum of the customer's order totals.
CREATE SCHEMA IF NOT EXISTS {rfm_schema};

CREATE OR REPLACE TEMPORARY TABLE TAJO_ORDER_HISTORY AS
SELECT
    O_CUSTKEY AS CUSTOMER_ID,
    COUNT(*) AS FREQUENCY,
    SUM(O_TOTALPRICE) AS MONETARY,
    MIN(O_ORDERDATE) AS FIRST_ORDER_DATE,
    MAX(O_ORDERDATE) AS LAST_ORDER_DATE
FROM {orders}
WHERE O_CUSTKEY IS NOT NULL
GROUP BY O_CUSTKEY;

CREATE OR REPLACE TABLE {rfm_table} AS
WITH reference AS (
    SELECT MAX(LAST_ORDER_DATE) AS REFERENCE_DATE FROM TAJO_ORDER_HISTORY
),
scored AS (
    SELECT
        h.CUSTOMER_ID,
        h.FREQUENCY,
        h.MONETARY,
        h.FIRST_ORDER_DATE,
        h.LAST_ORDER_DATE,
        r.REFERENCE_DATE,
        DATEDIFF(day, h.LAST_ORDER_DATE, r.REFERENCE_DATE) AS RECENCY_DAYS,
        NTILE(5) OVER (
            ORDER BY h.LAST_ORDER_DATE ASC NULLS FIRST, h.CUSTOMER_ID
        ) AS R_SCORE,
        NTILE(5) OVER (ORDER BY h.FREQUENCY, h.CUSTOMER_ID) AS F_SCORE,
        NTILE(5) OVER (
            ORDER BY h.MONETARY ASC NULLS FIRST, h.CUSTOMER_ID
        ) AS M_SCORE
    FROM TAJO_ORDER_HISTORY AS h
    CROSS JOIN reference AS r
)
SELECT
    CAST(CUSTOMER_ID AS NUMBER(38, 0)) AS CUSTOMER_ID,
    CAST(RECENCY_DAYS AS NUMBER(38, 0)) AS RECENCY_DAYS,
    CAST(FREQUENCY AS NUMBER(38, 0)) AS FREQUENCY,
    CAST(MONETARY AS NUMBER(14, 2)) AS MONETARY,
    CAST(R_SCORE AS NUMBER(1, 0)) AS R_SCORE,
    CAST(F_SCORE AS NUMBER(1, 0)) AS F_SCORE,
    CAST(M_SCORE AS NUMBER(1, 0)) AS M_SCORE,
    CAST(
        TO_VARCHAR(R_SCORE) || TO_VARCHAR(F_SCORE) || TO_VARCHAR(M_SCORE) AS VARCHAR
    ) AS RFM_SCORE,
    CAST(
        CASE
            WHEN R_SCORE >= 4 AND F_SCORE >= 4 AND M_SCORE >= 4 THEN 'Champions'
            WHEN R_SCORE >= 3 AND F_SCORE >= 4 THEN 'Loyal'
            WHEN R_SCORE >= 4 THEN 'Potential Loyalists'
            WHEN R_SCORE <= 2 AND F_SCORE >= 3 THEN 'At Risk'
            WHEN R_SCORE = 1 THEN 'Lost'
            ELSE 'Hibernating'
        END AS VARCHAR
    ) AS RFM_CLASS,
    CAST(MONETARY AS NUMBER(14, 2)) AS LTV,
    CAST(FIRST_ORDER_DATE AS DATE) AS FIRST_ORDER_DATE,
    CAST(LAST_ORDER_DATE AS DATE) AS LAST_ORDER_DATE,
    CAST(REFERENCE_DATE AS DATE) AS REFERENCE_DATE
FROM scored
ORDER BY CUSTOMER_ID;

SELECT RFM_CLASS, COUNT(*) AS CUSTOMERS
FROM {rfm_table}
GROUP BY RFM_CLASS
ORDER BY RFM_CLASS;
