-- The sync state of one contact sync. Idempotent.
-- One row per key Brevo acknowledged (or rejected): the fingerprint of the values
-- it holds, whether this project put the contact in the sync's list, and the
-- set_if_empty attributes this sync filled ("|NAME|OTHER|").
CREATE TABLE IF NOT EXISTS {state_table} (
    KEY VARCHAR NOT NULL,
    FINGERPRINT VARCHAR,
    SYNCED_AT_UTC TIMESTAMP_NTZ,
    LISTED BOOLEAN NOT NULL,
    LIST_ID NUMBER,
    LAST_ERROR VARCHAR,
    LAST_ERROR_AT_UTC TIMESTAMP_NTZ,
    FILLED VARCHAR
)
