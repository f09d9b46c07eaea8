-- Written before a batch is posted, so a crash after the post cannot resend it.
INSERT INTO {events_table} (EVENT_ID, STATUS, SENT_AT_UTC, RUN_ID)
SELECT sending.EVENT_ID, 'sending', :now_utc, :run_id
FROM (VALUES {rows}) AS sending (EVENT_ID)
