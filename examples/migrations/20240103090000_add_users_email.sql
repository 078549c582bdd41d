-- mig:up
ALTER TABLE users ADD COLUMN email TEXT;
CREATE UNIQUE INDEX users_email_idx ON users (email);

-- mig:down
DROP INDEX users_email_idx;
ALTER TABLE users DROP COLUMN email;
