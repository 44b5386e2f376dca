-- Rare title terms through trigrams of the folded title (what the search compares). No pending
-- list (fastupdate off): a search never scans recent inserts one by one; catalog writes are rare
-- next to searches. songs_title_trgm_idx serves the previous release's ILIKE until a later
-- release drops it.
CREATE INDEX CONCURRENTLY songs_title_folded_trgm_idx
    ON songs USING gin (lower(title) gin_trgm_ops) WITH (fastupdate = off);
