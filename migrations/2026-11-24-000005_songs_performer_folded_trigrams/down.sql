DROP INDEX CONCURRENTLY IF EXISTS songs_performer_folded_trgm_idx;
