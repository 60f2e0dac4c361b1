-- 0010: blind double coding.
-- A coordinator's assignment of a note to two coders; their codings on it stay apart until
-- the coordinator releases it. A shared record: the team bundle carries it to the coders.
CREATE TABLE assignment (
    id TEXT PRIMARY KEY,
    owner TEXT,
    created_hlc TEXT,
    updated_hlc TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    "note_id" TEXT,
    "coder_a" TEXT,
    "coder_b" TEXT,
    "released" INTEGER,
    "assigned_by" TEXT,
    "assigned_at" TEXT,
    "released_at" TEXT
);
CREATE INDEX assignment_note ON assignment(note_id);

-- A coordinator's decision on one disagreement between the two coders of an assignment.
CREATE TABLE adjudication (
    id TEXT PRIMARY KEY,
    owner TEXT,
    created_hlc TEXT,
    updated_hlc TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    "note_id" TEXT,
    "code_id" TEXT,
    "start_offset" INTEGER,
    "end_offset" INTEGER,
    "decision" TEXT,
    "by" TEXT,
    "at" TEXT
);
CREATE INDEX adjudication_note ON adjudication(note_id);
