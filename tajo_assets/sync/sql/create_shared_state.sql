-- The state schema and the tables every sync shares. Idempotent.
CREATE SCHEMA IF NOT EXISTS {state_schema};
CREATE TABLE IF NOT EXISTS {state_schema}.TAJO_SYNCS (
    SYNC_NAME VARCHAR NOT NULL,
    DEFINITION_HASH VARCHAR NOT NULL,
    ACKNOWLEDGED_AT_UTC TIMESTAMP_NTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS {state_schema}.TAJO_REJECTIONS (
    RUN_ID VARCHAR NOT NULL,
    SYNC_NAME VARCHAR NOT NULL,
    SEQ NUMBER,
    KEY VARCHAR,
    ACTION VARCHAR,
    REASON VARCHAR NOT NULL,
    -- BREVO when Brevo refused the row, TAJO when it was never sent.
    REJECTED_BY VARCHAR NOT NULL,
    REJECTED_AT_UTC TIMESTAMP_NTZ NOT NULL,
    -- The code Brevo gave (or the name of its import report) when Brevo refused
    -- the row, and invalid_key, invalid_value, empty_key or duplicate_key when
    -- the row was never sent. No semicolon or quote in comments here: the file
    -- is split into statements on semicolons.
    CODE VARCHAR
);
