-- mig:up
CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    author_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    published_at TEXT
);
CREATE INDEX posts_author_id_idx ON posts (author_id);

-- mig:down
DROP INDEX posts_author_id_idx;
DROP TABLE posts;
