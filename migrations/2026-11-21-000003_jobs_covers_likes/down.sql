DROP TABLE album_likes;
ALTER TABLE albums DROP COLUMN cover_key;
DROP TABLE sent_emails;
DROP TABLE outbox;
DROP TABLE jobs;
