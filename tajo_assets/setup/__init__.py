"""First-time set-up of a Snowflake account and a check of the whole path.

`keygen` makes the key pair tajo signs in with, `setup_sql` prints the
least-privilege set-up script, `doctor` checks configuration, Snowflake and
Brevo and says what to fix. The `tajo` command line (`tajo_assets.cli`) runs
them; nothing here is used by the Dagster definitions.
"""
