-- 0014: supersession bound to the record. A row says that an operation on `entity_id` named
-- (device, seq) in its `pred` for `field`: it saw that value and replaced it. Only an
-- operation on the same record is taken as replaced. Before, any operation naming
-- (device, seq) did, whatever record it was on: a device could name, on a record of its own,
-- operations another researcher had not written yet, and a replica that received that first
-- stored the researcher's later edits hollowed out, her text lost there (and the heads then
-- depended on the order of arrival). The rows are derived again from the log: each logged
-- operation's pred and fields, as they were written.
CREATE TABLE superseded_in_record (
    device TEXT NOT NULL,
    seq INTEGER NOT NULL,
    entity_id TEXT NOT NULL,
    field TEXT NOT NULL,
    PRIMARY KEY (device, seq, entity_id, field)
) WITHOUT ROWID;
INSERT OR IGNORE INTO superseded_in_record (device, seq, entity_id, field)
SELECT json_extract(p.value, '$[0]'), json_extract(p.value, '$[1]'), o.entity_id, f.key
FROM ops o, json_each(o.pred) p, json_each(o."values") f
WHERE o.pred != '[]';
DROP TABLE superseded;
ALTER TABLE superseded_in_record RENAME TO superseded;
