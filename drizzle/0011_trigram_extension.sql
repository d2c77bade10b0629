-- Trigram indexes (pg_trgm) serve LIKE '%…%'. pg_trgm ships with PostgreSQL's contrib (Debian's
-- postgresql-15 includes it) and is a trusted extension: the database's owner, or any role with
-- CREATE on the database, may create it. Where the role that migrates may not, a superuser runs
-- this statement once beforehand; IF NOT EXISTS then asks for no rights at all.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
