-- mig:up
CREATE INDEX users_email_idx ON users (email);

-- mig:down
DROP INDEX users_email_idx;
