DROP TABLE job_items;
DROP TABLE distribution_events;
DROP TABLE distributions;
DROP TABLE platforms;
DROP TABLE artworks;
DROP TABLE audio_files;
ALTER TABLE songs DROP COLUMN artist_id, DROP COLUMN isrc, DROP COLUMN iswc, DROP COLUMN explicit,
    DROP COLUMN track_number, DROP COLUMN disc_number, DROP COLUMN contributors;
ALTER TABLE albums DROP COLUMN artist_id, DROP COLUMN upc, DROP COLUMN label, DROP COLUMN genre,
    DROP COLUMN release_date, DROP COLUMN original_release_date, DROP COLUMN p_line,
    DROP COLUMN c_line, DROP COLUMN territories, DROP COLUMN release_type;
DROP TABLE artists;
DROP INDEX users_email_key;
ALTER TABLE users DROP COLUMN email;
