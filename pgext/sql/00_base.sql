-- pgext/sql/00_base.sql: the first piece of ferry--1.0.sql (pgext/Makefile
-- joins sql/NN_*.sql in file-name order). Each piece revokes and grants
-- for what it creates: nothing is PUBLIC's, reading is pg_monitor's, and
-- anything with side effects is the owner's alone.

\echo Use "CREATE EXTENSION ferry" to load this file. \quit

-- CREATE EXTENSION made the schema (ferry.control: schema = ferry); a new
-- schema grants nothing to PUBLIC, and we keep it so.
REVOKE ALL ON SCHEMA ferry FROM PUBLIC;
GRANT USAGE ON SCHEMA ferry TO pg_monitor;
