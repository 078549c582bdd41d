-- mig:up
-- mig:no-transaction
CREATE INDEX CONCURRENTLY users_email_idx ON users (email);

-- mig:down
DROP INDEX CONCURRENTLY users_email_idx;
