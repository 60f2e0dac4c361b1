-- 0013: one row of heads for a record that one operation made and nothing has touched since.
-- That operation is the head of every field it wrote: the record has this row instead of a row
-- per field in `heads` (a survey response has eight fields, a note four). The first operation
-- that touches the record again moves them into `heads` (OpApplier.expand_created), so a
-- record has rows in `heads` or a row here, never both. A create that deletes or erases keeps
-- its heads in `heads`: conflicts look for those there.
CREATE TABLE created_heads (
    entity_id TEXT PRIMARY KEY,
    device TEXT NOT NULL,
    seq INTEGER NOT NULL
) WITHOUT ROWID;
