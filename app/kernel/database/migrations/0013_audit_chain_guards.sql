-- The audit chain only ever grows at its head (issue 14): an entry may be
-- inserted only as the head's next link, and audit_head only moves one step
-- forward onto the entry just appended. This closes what 0004 left open:
-- SQLite's INSERT OR REPLACE (which deletes the row it replaces without
-- firing DELETE triggers), PostgreSQL's TRUNCATE (which fires no row
-- trigger), and any write to audit_head itself. Each guard costs the append
-- one primary-key lookup. Whoever may drop triggers can still rewrite the
-- chain; checkpoints kept outside the database (`cascade audit checkpoint`)
-- detect that.
{{if .Postgres}}
CREATE FUNCTION cascade_audit_append_at_head() RETURNS trigger AS $$
DECLARE
    h audit_head%ROWTYPE;
BEGIN
    SELECT * INTO h FROM audit_head WHERE id = 1;
    IF NOT FOUND OR NEW.seq IS DISTINCT FROM h.seq + 1 OR NEW.prev_hash IS DISTINCT FROM h.hash THEN
        RAISE EXCEPTION 'audit_entries is append-only: an entry must extend the head of the chain';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_entries_append_at_head BEFORE INSERT ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION cascade_audit_append_at_head();

CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION cascade_audit_append_only();

CREATE FUNCTION cascade_audit_head_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.id = OLD.id AND NEW.seq = OLD.seq + 1
            AND EXISTS (SELECT 1 FROM audit_entries WHERE seq = NEW.seq AND hash = NEW.hash) THEN
            RETURN NEW;
        END IF;
    ELSIF TG_OP = 'INSERT' THEN
        IF NOT EXISTS (SELECT 1 FROM audit_head) THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit_head only advances with an append';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_head_guard BEFORE INSERT OR UPDATE OR DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION cascade_audit_head_guard();

CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION cascade_audit_head_guard();
{{else}}
CREATE TRIGGER audit_entries_append_at_head BEFORE INSERT ON audit_entries
WHEN NEW.seq IS NOT (SELECT seq + 1 FROM audit_head WHERE id = 1)
    OR NEW.prev_hash IS NOT (SELECT hash FROM audit_head WHERE id = 1)
BEGIN
    SELECT RAISE(ABORT, 'audit_entries is append-only: an entry must extend the head of the chain');
END;

CREATE TRIGGER audit_head_no_insert BEFORE INSERT ON audit_head
WHEN EXISTS (SELECT 1 FROM audit_head)
BEGIN
    SELECT RAISE(ABORT, 'audit_head only advances with an append');
END;

CREATE TRIGGER audit_head_advance_only BEFORE UPDATE ON audit_head
WHEN NOT (NEW.id = OLD.id AND NEW.seq = OLD.seq + 1
    AND EXISTS (SELECT 1 FROM audit_entries WHERE seq = NEW.seq AND hash = NEW.hash))
BEGIN
    SELECT RAISE(ABORT, 'audit_head only advances with an append');
END;

CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN
    SELECT RAISE(ABORT, 'audit_head only advances with an append');
END;
{{end}}
