-- 5. The warehouse models (models: in tajo.yaml) replace and merge into their
-- tables, and keep temporary tables in the connection's schema: the role
-- creates (and so owns) those tables. If a model's table exists already, hand
-- it over: GRANT OWNERSHIP ON TABLE <table> TO ROLE {role_comment} COPY CURRENT GRANTS;
{grants}
