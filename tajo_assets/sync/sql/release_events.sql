-- Events Brevo certainly did not store (never sent, or refused with a 429 or
-- an auth error): forgotten, so the next run sends them.
DELETE FROM {events_table}
WHERE RUN_ID = :run_id AND STATUS = 'sending' AND EVENT_ID IN ({ids})
