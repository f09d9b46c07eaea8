-- MARKETING_DB.PUBLIC.CUSTOMERS: the contacts a marketing team keeps, one row
-- per TPC-H customer, keyed by the TPC-H customer key.
--
-- Deterministic by design: no CURRENT_DATE, no RANDOM. Names come from fixed
-- lists picked by customer key, emails derive from the names and the key, and
-- CREATED_AT is a fixed time before 2026-12-01 derived from the key.
-- About 0.1% of emails are invalid (no "@", two "@", no domain) and about 0.4%
-- carry surrounding spaces or upper case, for the sync engine to reject or
-- normalize.
CREATE DATABASE IF NOT EXISTS MARKETING_DB;
CREATE SCHEMA IF NOT EXISTS MARKETING_DB.PUBLIC;

CREATE OR REPLACE TABLE MARKETING_DB.PUBLIC.CUSTOMERS AS
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
    CAST(INITCAP(p.C_MKTSEGMENT) AS VARCHAR) AS MARKET_SEGMENT,
    CAST(
        DATEADD(second, -MOD(p.C_CUSTKEY * 7919, 86400 * 730), '2026-12-01 00:00:00'::TIMESTAMP_NTZ)
        AS TIMESTAMP_NTZ
    ) AS CREATED_AT
FROM people AS p
ORDER BY CUSTOMER_ID;
