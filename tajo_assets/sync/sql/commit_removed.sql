-- Brevo acknowledged removing every member up to last_key (in key order) who had
-- to leave list list_id.
UPDATE {state_table}
SET LISTED = FALSE, SYNCED_AT_UTC = :now_utc
WHERE LISTED AND LIST_ID = :list_id AND KEY <= :last_key AND ({leaving})
