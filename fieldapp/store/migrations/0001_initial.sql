-- 0001: the first schema. Readable tables are derived from the change log (ops);
-- they are rebuilt by replaying it (fieldapp check compares the two).

CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The change log. values/pred are JSON. A superseded value may be hollowed out ("husked"):
-- it can never show again, and keeping old text would defeat deletion.
CREATE TABLE ops (
    device TEXT NOT NULL,
    seq INTEGER NOT NULL,
    hlc TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    "values" TEXT NOT NULL,
    pred TEXT NOT NULL,
    received_hlc TEXT NOT NULL,
    PRIMARY KEY (device, seq)
) WITHOUT ROWID;
CREATE INDEX ops_entity ON ops(entity_id);

-- Current heads of every field register: more than one row for a field is a conflict.
CREATE TABLE heads (
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    field TEXT NOT NULL,
    device TEXT NOT NULL,
    seq INTEGER NOT NULL,
    hlc TEXT NOT NULL,
    PRIMARY KEY (entity_id, field, device, seq)
) WITHOUT ROWID;

-- (operation, field) pairs that a later operation has superseded, whether or not the
-- superseded operation has arrived yet: this is what makes the heads order-free.
CREATE TABLE superseded (
    device TEXT NOT NULL,
    seq INTEGER NOT NULL,
    field TEXT NOT NULL,
    PRIMARY KEY (device, seq, field)
) WITHOUT ROWID;

-- Records erased by a consent withdrawal: every past and future operation on them is dropped.
CREATE TABLE erased (
    entity_id TEXT PRIMARY KEY,
    entity TEXT NOT NULL,
    erase_device TEXT NOT NULL,
    erase_seq INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);

-- Search: notes tokenised by fieldapp.store.search (CJK bigrams, folded words); the index
-- keeps no copy of the text (contentless) and supports deletes for erasure.
CREATE VIRTUAL TABLE search_index USING fts5(
    tokens, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2'
);

CREATE TABLE study (
    id TEXT PRIMARY KEY,
    owner TEXT,
    created_hlc TEXT,
    updated_hlc TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    "title_zh" TEXT,
    "title_en" TEXT,
    "sites" TEXT,
    "sectors" TEXT,
    "targets" TEXT
);
CREATE TABLE organisation (
    id TEXT PRIMARY KEY,
    owner TEXT,
    created_hlc TEXT,
    updated_hlc TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    "code" TEXT,
    "name_zh" TEXT,
    "name_en" TEXT,
    "kind" TEXT,
    "registration" TEXT,
    "credit_code" TEXT,
    "site" TEXT,
    "sector" TEXT,
    "sort_key" TEXT,
    "notes" TEXT
);
CREATE TABLE participant (
    id TEXT PRIMARY KEY,
    owner TEXT,
    created_hlc TEXT,
    updated_hlc TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    "code" TEXT,
    "role" TEXT,
    "organisation_id" TEXT,
    "site" TEXT,
    "sector" TEXT,
    "sort_key" TEXT
);
CREATE TABLE identity (
    id TEXT PRIMARY KEY,
    owner TEXT,
    created_hlc TEXT,
    updated_hlc TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    "participant_id" TEXT,
    "real_name" TEXT,
    "phone" TEXT,
    "wechat" TEXT,
    "email" TEXT,
    "other" TEXT
);
CREATE TABLE consent (
    id TEXT PRIMARY KEY,
    owner TEXT,
    created_hlc TEXT,
    updated_hlc TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    "participant_id" TEXT,
    "form_version" TEXT,
    "language" TEXT,
    "method" TEXT,
    "date" TEXT,
    "witness" TEXT,
    "scopes" TEXT,
    "status" TEXT,
    "withdrawn_date" TEXT,
    "withdrawal_reason" TEXT
);
CREATE TABLE interview (
    id TEXT PRIMARY KEY,
    owner TEXT,
    created_hlc TEXT,
    updated_hlc TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    "code" TEXT,
    "title" TEXT,
    "site" TEXT,
    "sector" TEXT,
    "organisation_id" TEXT,
    "participant_ids" TEXT,
    "date" TEXT,
    "place" TEXT,
    "language" TEXT,
    "interviewer" TEXT,
    "mode" TEXT,
    "status" TEXT
);
CREATE TABLE note (
    id TEXT PRIMARY KEY,
    owner TEXT,
    created_hlc TEXT,
    updated_hlc TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    "interview_id" TEXT,
    "kind" TEXT,
    "title" TEXT,
    "body" TEXT
);
CREATE TABLE code (
    id TEXT PRIMARY KEY,
    owner TEXT,
    created_hlc TEXT,
    updated_hlc TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    "parent_id" TEXT,
    "name_zh" TEXT,
    "name_en" TEXT,
    "definition_zh" TEXT,
    "definition_en" TEXT,
    "colour" TEXT,
    "sort_order" INTEGER
);
CREATE TABLE coding (
    id TEXT PRIMARY KEY,
    owner TEXT,
    created_hlc TEXT,
    updated_hlc TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    "note_id" TEXT,
    "code_id" TEXT,
    "start_offset" INTEGER,
    "end_offset" INTEGER,
    "may_quote" INTEGER,
    "comment" TEXT
);
CREATE TABLE attachment (
    id TEXT PRIMARY KEY,
    owner TEXT,
    created_hlc TEXT,
    updated_hlc TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    "interview_id" TEXT,
    "participant_id" TEXT,
    "kind" TEXT,
    "filename" TEXT,
    "mime" TEXT,
    "size" INTEGER,
    "sha256" TEXT,
    "file_key" TEXT
);
CREATE TABLE instrument (
    id TEXT PRIMARY KEY,
    owner TEXT,
    created_hlc TEXT,
    updated_hlc TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    "form_id" TEXT,
    "version" TEXT,
    "title_zh" TEXT,
    "title_en" TEXT,
    "definition" TEXT
);
CREATE TABLE response (
    id TEXT PRIMARY KEY,
    owner TEXT,
    created_hlc TEXT,
    updated_hlc TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    "instrument_id" TEXT,
    "instrument_version" TEXT,
    "data" TEXT,
    "status" TEXT,
    "participant_id" TEXT,
    "organisation_id" TEXT,
    "interview_id" TEXT,
    "site" TEXT,
    "sector" TEXT,
    "researcher" TEXT,
    "completed_at" TEXT
);

CREATE INDEX participant_organisation_id ON participant(organisation_id);
CREATE INDEX identity_participant_id ON identity(participant_id);
CREATE INDEX consent_participant_id ON consent(participant_id);
CREATE INDEX interview_organisation_id ON interview(organisation_id);
CREATE INDEX note_interview_id ON note(interview_id);
CREATE INDEX code_parent_id ON code(parent_id);
CREATE INDEX coding_note_id ON coding(note_id);
CREATE INDEX coding_code_id ON coding(code_id);
CREATE INDEX attachment_interview_id ON attachment(interview_id);
CREATE INDEX attachment_participant_id ON attachment(participant_id);
CREATE INDEX response_instrument_id ON response(instrument_id);
CREATE INDEX response_participant_id ON response(participant_id);
CREATE INDEX response_organisation_id ON response(organisation_id);
CREATE INDEX response_interview_id ON response(interview_id);
