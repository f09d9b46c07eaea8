-- The events of one event sync, one row per event id it ever sent or tried to.
-- STATUS is sending while the answer of Brevo is awaited (and forever if it
-- never came, as such an event is never sent again by itself), then sent or
-- rejected. Idempotent. No semicolon or quote in comments here.
CREATE TABLE IF NOT EXISTS {events_table} (
    EVENT_ID VARCHAR NOT NULL,
    STATUS VARCHAR NOT NULL,
    SENT_AT_UTC TIMESTAMP_NTZ NOT NULL,
    RUN_ID VARCHAR NOT NULL
)
