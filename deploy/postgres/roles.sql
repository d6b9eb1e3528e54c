-- The warehouse's two roles (README, "Least privileges" and "Querying from BI tools"), created by the
-- superuser once, when the postgres container initialises an empty data directory (initdb/10-roles.sh sets
-- the psql variables: the passwords, read from secret files, and the database). The BI role's grants on the
-- job's schemas wait for the first migrate: bi-grants.sql.

-- The sync role: owns the schemas it creates on its first migrate, and nothing else. No superuser, nothing in
-- public; TEMPORARY for the staging table each page is loaded through.
create role eventlog_writer login password :'writer_password';
revoke create on schema public from public;
grant connect, create, temporary on database :"dbname" to eventlog_writer;

-- The BI role: read-only by its grants; its sessions start read-only, with bounded statements and idle
-- transactions. No temporary tables: TEMPORARY is taken from PUBLIC (the sync role holds it by the grant above).
create role bi_reader login password :'bi_password';
alter role bi_reader set default_transaction_read_only = on;
alter role bi_reader set statement_timeout = '60s';
alter role bi_reader set idle_in_transaction_session_timeout = '5min';
revoke temporary on database :"dbname" from public;
grant connect on database :"dbname" to bi_reader;
