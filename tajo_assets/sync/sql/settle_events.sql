-- Brevo's verdict on events this run recorded as sending.
UPDATE {events_table}
SET STATUS = :status
WHERE RUN_ID = :run_id AND STATUS = 'sending' AND EVENT_ID IN ({ids})
