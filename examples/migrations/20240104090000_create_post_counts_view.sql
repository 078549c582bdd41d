-- mig:up
CREATE VIEW post_counts AS
SELECT users.id AS user_id, users.name, count(posts.id) AS posts
FROM users LEFT JOIN posts ON posts.author_id = users.id
GROUP BY users.id;

-- mig:down
DROP VIEW post_counts;
