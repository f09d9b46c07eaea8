SELECT * FROM {snapshot_table}
