-- mig:up
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- mig:down
DROP TABLE users;
