-- The case record as text, not json.
--
-- Every writer of `cases.record` validates the record fully before it is stored (the importer's
-- checked view of each line, the worker's `Case::from_json` for cases it stores itself), and the
-- text is the canonical form they produced. As `json`, PostgreSQL lexed each record again on
-- every insert: about 40% of its samples during a binary `COPY` of 300,000 cases, the larger
-- part of the import's time. Nothing indexes inside the record; the few readers that look inside
-- it (offers' filing date, the report's petition group) cast it to `json` where they do.
ALTER TABLE cases ALTER COLUMN record TYPE text USING record::text;

-- The petition group of a record, now over text (see 20261206200001_run_groups.sql).
DROP FUNCTION case_has_petition(json);
CREATE FUNCTION case_has_petition(record TEXT) RETURNS BOOLEAN LANGUAGE sql IMMUTABLE AS $$
    SELECT strpos(record, '"pending_petition":{') > 0
$$;
