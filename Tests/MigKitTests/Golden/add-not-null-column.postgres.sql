
-- mig:up
-- Adds users.email NOT NULL in one step. With a constant default, PostgreSQL 11 and later
-- store the default once instead of rewriting the table, and need no scan for NOT NULL: every
-- existing row reads the default. The ACCESS EXCLUSIVE lock is held for a moment only.
-- A default that changes per row (now(), random(), gen_random_uuid()) does rewrite the table:
-- add the column without NOT NULL, backfill in batches, then enforce NOT NULL through a CHECK
-- … NOT VALID, validated in a migration of its own.
ALTER TABLE users ADD COLUMN email text NOT NULL DEFAULT '';

-- mig:down
ALTER TABLE users DROP COLUMN email;

-- mig:contract
-- Contract step, in a later migration, when the application writes email on every insert
-- and the default should no longer fill it in (rows that exist keep their values):
ALTER TABLE users ALTER COLUMN email DROP DEFAULT;
