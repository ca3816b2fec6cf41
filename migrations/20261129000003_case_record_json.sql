-- Keep the case record as the exact canonical text it was imported with (json), not jsonb:
-- enqueue and the lifecycle read it back as text for every case, and jsonb's text output costs
-- ~12 µs a record, a few seconds over a 300,000-case backlog. Nothing queries inside it.
ALTER TABLE cases ALTER COLUMN record TYPE json USING record::json;
