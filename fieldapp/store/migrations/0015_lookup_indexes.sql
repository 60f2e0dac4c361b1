-- 0015: indexes for the lookups made once per record entered. Entering a participant checks
-- that its code is not taken, and a memo or the command line finds an interview by its code:
-- without an index each lookup read the whole register, so entering a register one participant
-- at a time did work that grew with the square of its size
-- (tests/unit/test_bulk_scaling.py counts it).
CREATE INDEX IF NOT EXISTS participant_code ON participant(code);
CREATE INDEX IF NOT EXISTS interview_code ON interview(code);
