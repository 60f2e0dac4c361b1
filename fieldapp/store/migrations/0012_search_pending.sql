-- 0012: idle-time indexing. A note save on the desktop records here that the note's index
-- entries are stale, in the save's own transaction, instead of re-indexing the note inside it;
-- the index catches up when the researcher pauses (and always before the key is dropped).
-- `held` is the text the index holds entries for (the note as last indexed; '' for none):
-- the index is contentless and runs in secure-delete mode, so removing those entries needs
-- their tokens. Searches treat a note listed here as not indexed and scan its text, so they
-- stay exact; an erasure removes the row and the index entries in the erasing transaction.
CREATE TABLE search_pending (
    note_rowid INTEGER PRIMARY KEY,
    held TEXT NOT NULL
);
