-- customer_segments: one row per contact, the table an audience query reads
-- (e.g. the seed's customer_segments query, WHERE updated_at > :last_sync).
-- Sent as one multi-statement request, in one session.
--
-- Columns: contact details from the customers source, RFM class, LTV, order
-- count and last order date from customer_rfm (contacts without orders get
-- 'Lost', 0 and NULL), PREDICTED_CHURN from the ML scores' latest CHURN_SCORE
-- for the contact's email (trimmed, lower-case; undated scores count only when
-- the email has no dated one, and on one day the lowest score wins), and
-- SEGMENT_NAME:
--   VIP       Champions, and Loyal customers in the top spend quintile
--   Growth    other Loyal customers and Potential Loyalists
--   Win back  At Risk and Hibernating customers
--   Lapsed    Lost customers and contacts who never ordered
--
-- UPDATED_AT changes only for rows whose content changed: the MERGE compares a
-- HASH of every column but UPDATED_AT, so an unchanged run sends nothing to the
-- incremental audience. Contacts gone from the source are deleted here (Brevo
-- keeps them, see the README's limits).
--
-- UPDATED_AT is a TIMESTAMP_LTZ (an instant) set from CURRENT_TIMESTAMP(), so
-- `updated_at > :last_sync` (an instant too) compares correctly whatever the
-- session TIMEZONE. Hazard: a TIMESTAMP_NTZ here would be read in the session
-- TIMEZONE, and a UTC wall clock in it would hide or resend changes outside UTC.
-- A table an earlier version created with TIMESTAMP_NTZ keeps that type; the
-- uncast CURRENT_TIMESTAMP() then stores the session wall clock, which the same
-- session reads back right.
--
-- Each CUSTOMER_ID counts once (a MERGE with two source rows for one target row
-- is nondeterministic, an error in Snowflake): for a repeated id the row with
-- the first EMAIL, FIRST_NAME, LAST_NAME in sort order wins; rows without a
-- CUSTOMER_ID are left out.
CREATE SCHEMA IF NOT EXISTS {segments_schema};

CREATE TABLE IF NOT EXISTS {segments_table} (
    CUSTOMER_ID NUMBER(38, 0),
    EMAIL VARCHAR,
    FIRST_NAME VARCHAR,
    LAST_NAME VARCHAR,
    SEGMENT_NAME VARCHAR,
    LTV_SCORE NUMBER(12, 2),
    RFM_CLASS VARCHAR,
    TOTAL_ORDERS NUMBER(38, 0),
    LAST_PURCHASE_DATE DATE,
    PREDICTED_CHURN FLOAT,
    UPDATED_AT TIMESTAMP_LTZ
);

CREATE OR REPLACE TEMPORARY TABLE TAJO_SEGMENTS_NEW AS
WITH latest_scores AS (
    SELECT LOWER(TRIM(EMAIL)) AS EMAIL_KEY, CHURN_SCORE
    FROM {customer_scores}
    WHERE EMAIL IS NOT NULL
    QUALIFY ROW_NUMBER() OVER (
        PARTITION BY LOWER(TRIM(EMAIL))
        ORDER BY SCORE_DATE DESC NULLS LAST, CHURN_SCORE ASC NULLS LAST
    ) = 1
)
SELECT
    CAST(c.CUSTOMER_ID AS NUMBER(38, 0)) AS CUSTOMER_ID,
    CAST(c.EMAIL AS VARCHAR) AS EMAIL,
    CAST(c.FIRST_NAME AS VARCHAR) AS FIRST_NAME,
    CAST(c.LAST_NAME AS VARCHAR) AS LAST_NAME,
    CAST(
        CASE
            WHEN r.RFM_CLASS = 'Champions' THEN 'VIP'
            WHEN r.RFM_CLASS = 'Loyal' AND r.M_SCORE = 5 THEN 'VIP'
            WHEN r.RFM_CLASS IN ('Loyal', 'Potential Loyalists') THEN 'Growth'
            WHEN r.RFM_CLASS IN ('At Risk', 'Hibernating') THEN 'Win back'
            ELSE 'Lapsed'
        END AS VARCHAR
    ) AS SEGMENT_NAME,
    CAST(COALESCE(r.LTV, 0) AS NUMBER(12, 2)) AS LTV_SCORE,
    CAST(COALESCE(r.RFM_CLASS, 'Lost') AS VARCHAR) AS RFM_CLASS,
    CAST(COALESCE(r.FREQUENCY, 0) AS NUMBER(38, 0)) AS TOTAL_ORDERS,
    CAST(r.LAST_ORDER_DATE AS DATE) AS LAST_PURCHASE_DATE,
    CAST(s.CHURN_SCORE AS FLOAT) AS PREDICTED_CHURN
FROM {customers} AS c
LEFT JOIN {rfm_table} AS r ON r.CUSTOMER_ID = c.CUSTOMER_ID
LEFT JOIN latest_scores AS s ON s.EMAIL_KEY = LOWER(TRIM(c.EMAIL))
WHERE c.CUSTOMER_ID IS NOT NULL
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY c.CUSTOMER_ID
    ORDER BY c.EMAIL ASC NULLS LAST, c.FIRST_NAME ASC NULLS LAST,
        c.LAST_NAME ASC NULLS LAST
) = 1;

MERGE INTO {segments_table} AS t
USING TAJO_SEGMENTS_NEW AS s
ON t.CUSTOMER_ID = s.CUSTOMER_ID
WHEN MATCHED AND HASH(
    t.EMAIL, t.FIRST_NAME, t.LAST_NAME, t.SEGMENT_NAME, t.LTV_SCORE, t.RFM_CLASS,
    t.TOTAL_ORDERS, t.LAST_PURCHASE_DATE, t.PREDICTED_CHURN
) <> HASH(
    s.EMAIL, s.FIRST_NAME, s.LAST_NAME, s.SEGMENT_NAME, s.LTV_SCORE, s.RFM_CLASS,
    s.TOTAL_ORDERS, s.LAST_PURCHASE_DATE, s.PREDICTED_CHURN
) THEN UPDATE SET
    EMAIL = s.EMAIL,
    FIRST_NAME = s.FIRST_NAME,
    LAST_NAME = s.LAST_NAME,
    SEGMENT_NAME = s.SEGMENT_NAME,
    LTV_SCORE = s.LTV_SCORE,
    RFM_CLASS = s.RFM_CLASS,
    TOTAL_ORDERS = s.TOTAL_ORDERS,
    LAST_PURCHASE_DATE = s.LAST_PURCHASE_DATE,
    PREDICTED_CHURN = s.PREDICTED_CHURN,
    UPDATED_AT = CURRENT_TIMESTAMP()
WHEN NOT MATCHED THEN INSERT (
    CUSTOMER_ID, EMAIL, FIRST_NAME, LAST_NAME, SEGMENT_NAME, LTV_SCORE, RFM_CLASS,
    TOTAL_ORDERS, LAST_PURCHASE_DATE, PREDICTED_CHURN, UPDATED_AT
) VALUES (
    s.CUSTOMER_ID, s.EMAIL, s.FIRST_NAME, s.LAST_NAME, s.SEGMENT_NAME, s.LTV_SCORE,
    s.RFM_CLASS, s.TOTAL_ORDERS, s.LAST_PURCHASE_DATE, s.PREDICTED_CHURN,
    CURRENT_TIMESTAMP()
);

DELETE FROM {segments_table} AS t
WHERE NOT EXISTS (
    SELECT 1 FROM TAJO_SEGMENTS_NEW AS s WHERE s.CUSTOMER_ID = t.CUSTOMER_ID
);

SELECT COUNT(*) AS ROW_COUNT, MAX(UPDATED_AT) AS LAST_UPDATED_AT
FROM {segments_table};
