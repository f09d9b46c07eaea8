-- Where the state records which set_if_empty attributes this sync filled, per
-- key ("|NAME|OTHER|"); state tables made before that column existed get it here.
ALTER TABLE {state_table} ADD COLUMN IF NOT EXISTS FILLED VARCHAR
