-- 0007: survey responses reviewed and corrected.
-- An attachment may belong to a survey response (the file answering an image, audio, video or
-- file question); erasing the response (consent withdrawn) erases its files.
ALTER TABLE attachment ADD COLUMN "response_id" TEXT;
CREATE INDEX attachment_response ON attachment(response_id);

-- A coordinator's review of a response: approved, has issues or rejected, with a comment.
-- A shared record: the coordinator's team bundle carries it to the researcher.
CREATE TABLE review (
    id TEXT PRIMARY KEY,
    owner TEXT,
    created_hlc TEXT,
    updated_hlc TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    "response_id" TEXT,
    "state" TEXT,
    "comment" TEXT,
    "reviewer" TEXT,
    "at" TEXT
);
CREATE INDEX review_response ON review(response_id);

-- One answer changed after the response was completed: who, when, old -> new.
CREATE TABLE correction (
    id TEXT PRIMARY KEY,
    owner TEXT,
    created_hlc TEXT,
    updated_hlc TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    "response_id" TEXT,
    "address" TEXT,
    "old" TEXT,
    "new" TEXT,
    "by" TEXT,
    "at" TEXT
);
CREATE INDEX correction_response ON correction(response_id);
