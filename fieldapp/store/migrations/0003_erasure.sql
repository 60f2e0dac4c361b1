-- 0003: erasure that leaves nothing behind.
--
-- The search index moves to FTS5's secure-delete mode, which takes a removed note's entries
-- out of the index pages at once. secure-delete needs the removed tokens, which a
-- contentless_delete index cannot take, so the index is made again (plain contentless); the
-- workspace fills it from the notes when it opens (meta search.rebuild). Dropping the old
-- index frees its pages, which secure_delete overwrites.
DROP TABLE search_index;
CREATE VIRTUAL TABLE search_index USING fts5(
    tokens, content='', tokenize='unicode61 remove_diacritics 2'
);
INSERT INTO search_index (search_index, rank) VALUES ('secure-delete', 1);
INSERT INTO meta (key, value) VALUES ('search.rebuild', '1')
    ON CONFLICT(key) DO UPDATE SET value = excluded.value;

-- A withdrawal's reason stays on the device that recorded it (its audit log): the erase order
-- that travels carries the date only. Orders recorded before this version lose their reason.
UPDATE ops SET "values" = json_remove("values", '$._erase.reason')
    WHERE json_extract("values", '$._erase.reason') IS NOT NULL;
