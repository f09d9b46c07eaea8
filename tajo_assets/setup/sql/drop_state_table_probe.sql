DROP TABLE IF EXISTS {state_schema}.{probe_table}
