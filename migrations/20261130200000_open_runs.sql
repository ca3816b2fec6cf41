-- Runs that accept new cases by message. A job is recorded only for a member of its run whose
-- imported facts it carries; an open run lets a job whose case was never imported join it. Such
-- members get negative sequence numbers (from their own sequence), so enqueue, which publishes
-- members above its watermark, never publishes them again: their producer already did.
ALTER TABLE runs ADD COLUMN open BOOLEAN NOT NULL DEFAULT false;
CREATE SEQUENCE run_cases_joined_seq;
