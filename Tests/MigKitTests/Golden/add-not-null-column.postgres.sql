
-- mig:up
-- Expand step of adding users.email NOT NULL. The column comes with a constant default,
-- which PostgreSQL 11 and later add without rewriting the table (rows that exist read the
-- default), and NOT NULL comes as a CHECK that is NOT VALID: new writes must give a value, and
-- nothing scans the table under its ACCESS EXCLUSIVE lock.
ALTER TABLE users ADD COLUMN IF NOT EXISTS email text DEFAULT '';
ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;

-- mig:down
ALTER TABLE users DROP COLUMN IF EXISTS email;

-- mig:contract
-- Contract step, in a later migration: VALIDATE scans the table under a lock that lets reads and
-- writes go on, and the validated CHECK lets SET NOT NULL skip its own scan.
ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
ALTER TABLE users DROP CONSTRAINT users_email_not_null;
