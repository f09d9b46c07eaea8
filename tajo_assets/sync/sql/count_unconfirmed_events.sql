-- Events whose fate Brevo never told: sent, but no answer came back.
SELECT COUNT(*) FROM {events_table} WHERE STATUS = 'sending' AND RUN_ID <> :run_id
