-- 0007: an attachment may belong to a survey response (the file answering an image, audio,
-- video or file question). Erasing the response (consent withdrawn) erases its files.
ALTER TABLE attachment ADD COLUMN "response_id" TEXT;
CREATE INDEX attachment_response ON attachment(response_id);
