-- The song search's walk in listing order reads only this index (an index-only scan): the folded
-- title and performer a search compares are stored in it, so a frequent term fills its page
-- without touching the table and without folding a row's case per test (what ILIKE does, most
-- of its cost). Built concurrently: catalog writes go on while it builds.
CREATE INDEX CONCURRENTLY songs_listing_idx
    ON songs (created_at, id, lower(title), lower(performer)) INCLUDE (title, performer);
