DROP INDEX CONCURRENTLY IF EXISTS songs_title_folded_trgm_idx;
