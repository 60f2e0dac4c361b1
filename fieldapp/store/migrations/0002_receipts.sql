-- 0002: erasure receipts. A device that has carried out an erase order records a receipt,
-- which travels back to the coordinators like any other record.
CREATE TABLE receipt (
    id TEXT PRIMARY KEY,
    owner TEXT,
    created_hlc TEXT,
    updated_hlc TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    "erase_device" TEXT,
    "erase_seq" INTEGER,
    "participant_id" TEXT,
    "device" TEXT,
    "at" TEXT
);
CREATE INDEX receipt_erase ON receipt(erase_device, erase_seq);
