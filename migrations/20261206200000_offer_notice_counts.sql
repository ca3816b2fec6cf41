-- Offers per state and notices per status as counters, like outcomes per decision.
--
-- `status` and every `/metrics` scrape of `serve` counted a run's offers by state and its notices
-- by status (and its failed notices by channel and reason) by grouping the rows: at 3,000,000
-- cases that is ~225,000 offers and twice as many notices, whose rows carry the whole letter
-- payload, read on every call. Each statement that inserts, updates or deletes offers or notices
-- now appends, in its own transaction, one `run_counts` row per (run, kind, key) whose count it
-- changed, the net change (+1 for a row's new value, -1 for its old one); readers sum a run's
-- rows, and `run_state::complete_finished` folds old rows as it does the decisions'. Kinds:
-- 'offer' (key: the offer's state), 'notice' (key: the notice's status) and 'failed_notice' (key:
-- channel, U+001F, then `last_error` or 'unknown', for failed notices only).

CREATE FUNCTION run_counts_offers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A branch names only the transition tables its trigger declares (PL/pgSQL plans a statement
    -- when it first runs it).
    IF TG_OP = 'INSERT' THEN
        INSERT INTO run_counts (run_id, kind, key, n)
        SELECT run_id, 'offer', state, count(*) FROM new_rows GROUP BY run_id, state;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO run_counts (run_id, kind, key, n)
        SELECT run_id, 'offer', state, -count(*) FROM old_rows GROUP BY run_id, state;
    ELSE
        INSERT INTO run_counts (run_id, kind, key, n)
        SELECT run_id, 'offer', state, sum(d) FROM (
            SELECT run_id, state, 1 AS d FROM new_rows
            UNION ALL
            SELECT run_id, state, -1 FROM old_rows
        ) c GROUP BY run_id, state HAVING sum(d) <> 0;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER offers_counted_insert AFTER INSERT ON offers
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION run_counts_offers();
CREATE TRIGGER offers_counted_update AFTER UPDATE ON offers
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION run_counts_offers();
CREATE TRIGGER offers_counted_delete AFTER DELETE ON offers
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION run_counts_offers();

-- The counter lines of a set of notices: its status, and for a failed one its channel and reason.
CREATE FUNCTION run_counts_notice_keys(status TEXT, channel TEXT, last_error TEXT)
RETURNS TABLE (kind TEXT, key TEXT) LANGUAGE sql IMMUTABLE AS $$
    SELECT 'notice', status
    UNION ALL
    SELECT 'failed_notice', channel || chr(31) || coalesce(last_error, 'unknown')
    WHERE status = 'failed'
$$;

CREATE FUNCTION run_counts_notifications() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO run_counts (run_id, kind, key, n)
        SELECT r.run_id, k.kind, k.key, count(*)
        FROM new_rows r, run_counts_notice_keys(r.status, r.channel, r.last_error) k
        GROUP BY 1, 2, 3;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO run_counts (run_id, kind, key, n)
        SELECT r.run_id, k.kind, k.key, -count(*)
        FROM old_rows r, run_counts_notice_keys(r.status, r.channel, r.last_error) k
        GROUP BY 1, 2, 3;
    ELSE
        INSERT INTO run_counts (run_id, kind, key, n)
        SELECT run_id, kind, key, sum(d) FROM (
            SELECT r.run_id, k.kind, k.key, 1 AS d
            FROM new_rows r, run_counts_notice_keys(r.status, r.channel, r.last_error) k
            UNION ALL
            SELECT r.run_id, k.kind, k.key, -1
            FROM old_rows r, run_counts_notice_keys(r.status, r.channel, r.last_error) k
        ) c GROUP BY 1, 2, 3 HAVING sum(d) <> 0;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER notifications_counted_insert AFTER INSERT ON notifications
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION run_counts_notifications();
CREATE TRIGGER notifications_counted_update AFTER UPDATE ON notifications
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION run_counts_notifications();
CREATE TRIGGER notifications_counted_delete AFTER DELETE ON notifications
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION run_counts_notifications();

INSERT INTO run_counts (run_id, kind, key, n, at)
SELECT run_id, 'offer', state, count(*), '-infinity' FROM offers GROUP BY run_id, state;
INSERT INTO run_counts (run_id, kind, key, n, at)
SELECT n.run_id, k.kind, k.key, count(*), '-infinity'
FROM notifications n, run_counts_notice_keys(n.status, n.channel, n.last_error) k
GROUP BY 1, 2, 3;
