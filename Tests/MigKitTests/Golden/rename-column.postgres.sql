
-- mig:up
-- Expand step of renaming users.name to full_name: both columns exist and a trigger copies
-- every write of one into the other, so the release still running (which uses name) and the
-- next one (which uses full_name) work side by side. Indexes, NOT NULL, defaults and constraints
-- of name are not copied: add them to full_name in their own migrations (indexes concurrently,
-- NOT NULL through a validated CHECK).
ALTER TABLE users ADD COLUMN IF NOT EXISTS full_name text;

CREATE OR REPLACE FUNCTION users_sync_full_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.full_name := COALESCE(NEW.full_name, NEW.name);
        NEW.name := COALESCE(NEW.name, NEW.full_name);
    ELSIF NEW.name IS DISTINCT FROM OLD.name THEN
        NEW.full_name := NEW.name;
    ELSIF NEW.full_name IS DISTINCT FROM OLD.full_name THEN
        NEW.name := NEW.full_name;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER users_sync_full_name BEFORE INSERT OR UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION users_sync_full_name();

-- Then copy the rows that exist, in batches, outside this migration (a job, or a data migration
-- of its own), repeating until it updates no row:
--   UPDATE users SET full_name = name WHERE ctid = ANY (ARRAY(
--       SELECT ctid FROM users WHERE full_name IS DISTINCT FROM name LIMIT 5000));

-- mig:down
DROP TRIGGER IF EXISTS users_sync_full_name ON users;
DROP FUNCTION IF EXISTS users_sync_full_name();
ALTER TABLE users DROP COLUMN IF EXISTS full_name;

-- mig:contract
-- Contract step, once the backfill is done and no running release reads or writes name:
DROP TRIGGER IF EXISTS users_sync_full_name ON users;
DROP FUNCTION IF EXISTS users_sync_full_name();
-- mig:lint-ignore ban-drop-column contract step of add_email_to_users: no running release uses users.name
ALTER TABLE users DROP COLUMN name;
