-- 0005: the history of each device's bundles as merged here. Every bundle names the manifest
-- hash of its author's previous bundle (``prev``), so a device's bundles form a hash chain; a
-- revocation names the last trusted link, and a coordinator that had not merged it yet follows
-- the chain to tell the device's real history from a re-signed one.
CREATE TABLE bundle_history (
    bundle_hash TEXT PRIMARY KEY,
    device TEXT NOT NULL,
    prev TEXT,
    seq_first INTEGER NOT NULL,
    seq_last INTEGER NOT NULL
);
CREATE INDEX bundle_history_device ON bundle_history(device, seq_last);
