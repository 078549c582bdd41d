
-- mig:up
-- Expand step of renaming users.name to full_name: both columns exist and a trigger copies
-- every write of one into the other. The order of the whole change:
--   1. this migration (the release that uses name keeps working);
--   2. backfill the rows that exist (below), until none is left;
--   3. deploy the release that reads and writes full_name;
--   4. the contract step, in a later migration, once no running release uses name.
-- full_name must take every value of name without loss (text), and gets no default while both
-- columns live: the trigger takes a non-null full_name on INSERT as what the application meant.
-- Indexes, NOT NULL and constraints of name are not copied: add them to full_name in migrations
-- of their own (indexes concurrently, NOT NULL through a validated CHECK).
ALTER TABLE users ADD COLUMN full_name text;

CREATE FUNCTION users_sync_full_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.full_name IS NOT NULL THEN
            NEW.name := NEW.full_name;
        ELSE
            NEW.full_name := NEW.name;
        END IF;
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

-- Backfill outside this migration (a job, or a data migration of its own), in batches by the
-- primary key (here `id`), each batch its own short transaction, from the lowest key to the highest:
--   UPDATE users SET full_name = name
--    WHERE id > :last_id AND id <= :last_id + 5000 AND full_name IS DISTINCT FROM name;

-- mig:down
DROP TRIGGER users_sync_full_name ON users;
DROP FUNCTION users_sync_full_name();
ALTER TABLE users DROP COLUMN full_name;

-- mig:contract
-- Contract step, once the backfill is done and no running release reads or writes name.
-- It stops, changing nothing, while a row still differs.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM users WHERE full_name IS DISTINCT FROM name) THEN
        RAISE EXCEPTION 'users.full_name still differs from name in some rows: finish the backfill first';
    END IF;
END
$$;
DROP TRIGGER users_sync_full_name ON users;
DROP FUNCTION users_sync_full_name();
-- mig:lint-ignore ban-drop-column contract step of add_email_to_users: no running release uses users.name
ALTER TABLE users DROP COLUMN name;
