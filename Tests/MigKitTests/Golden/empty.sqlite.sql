-- mig:up
-- add email to users: created by Ada Lovelace on 2024-01-15T12:00:00Z (feature/email)


-- mig:down

