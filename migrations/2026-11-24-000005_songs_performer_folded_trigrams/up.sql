-- As songs_title_folded_trgm_idx, for the performer.
CREATE INDEX CONCURRENTLY songs_performer_folded_trgm_idx
    ON songs USING gin (lower(performer) gin_trgm_ops) WITH (fastupdate = off);
