-- 0009: analytic memos on the project, on codes and on interviews (owned by their author, like
-- notes; a memo on an interview is erased with it). Not in the note search index: memos are
-- searched by folding their text in the service (fieldapp.services.memos).
CREATE TABLE memo (
    id TEXT PRIMARY KEY,
    owner TEXT,
    created_hlc TEXT,
    updated_hlc TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    "about" TEXT,
    "code_id" TEXT,
    "interview_id" TEXT,
    "title" TEXT,
    "body" TEXT
);
CREATE INDEX memo_code ON memo(code_id);
CREATE INDEX memo_interview ON memo(interview_id);
