-- mig:up
-- mig:no-transaction
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);

-- mig:down
DROP INDEX CONCURRENTLY IF EXISTS users_email_idx;
