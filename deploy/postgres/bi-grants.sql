-- The BI role reads the job's three schemas: every table and view there now, and those later migrations
-- create (default privileges of the sync role, which owns them). Run as eventlog_writer (or a superuser) after
-- the first migrate; running it again changes nothing.
grant usage on schema altcraft, yandex_direct, sync to bi_reader;
grant select on all tables in schema altcraft, yandex_direct, sync to bi_reader;
alter default privileges for role eventlog_writer in schema altcraft, yandex_direct, sync grant select on tables to bi_reader;
