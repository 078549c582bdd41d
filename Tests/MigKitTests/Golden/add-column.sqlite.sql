-- mig:up
ALTER TABLE users ADD COLUMN email TEXT;

-- mig:down
ALTER TABLE users DROP COLUMN email;
