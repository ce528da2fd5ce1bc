-- The verdicts' and the change feed's references checked once a statement
-- on PostgreSQL, as 0026 does for the products' (issue 18). A first
-- evaluation of 1,000,000 verdicts writes 2,000,000 rows, and PostgreSQL
-- checked their five foreign keys a row at a time, each check a query that
-- finds and locks the referenced row: 14 of the 31 s the evaluation took.
-- Here each statement that writes verdicts or feed entries locks the
-- products, policies and outcomes it refers to FOR KEY SHARE once, as the
-- foreign keys locked them, and a reference to a row that does not exist
-- fails the statement with a foreign-key violation (SQLSTATE 23503) under
-- the constraint's name. The other side is kept too: deleting a product
-- deletes its verdicts and feed entries (the foreign keys' ON DELETE
-- CASCADE), and a policy or outcome that verdicts or entries refer to
-- cannot be deleted, nor a referenced id changed. SQLite checks its foreign
-- keys by index in the same statement, cheaply, and keeps them.
{{if .Postgres}}
ALTER TABLE verdicts DROP CONSTRAINT verdicts_product_id_fkey;
ALTER TABLE verdicts DROP CONSTRAINT verdicts_policy_id_fkey;
ALTER TABLE verdicts DROP CONSTRAINT verdicts_outcome_id_fkey;
ALTER TABLE verdict_changes DROP CONSTRAINT verdict_changes_product_id_fkey;
ALTER TABLE verdict_changes DROP CONSTRAINT verdict_changes_policy_id_fkey;

-- cascade_referred_rows_exist locks the rows of parent whose ids are in ids
-- FOR KEY SHARE and fails, as the foreign key of child's column col would,
-- if one of them does not exist. A first evaluation runs it 30,000 times:
-- each parent has its statements written out, which PL/pgSQL plans once,
-- not built as dynamic SQL, which it plans every time.
CREATE FUNCTION cascade_referred_rows_exist(child TEXT, col TEXT, parent TEXT, ids BIGINT[]) RETURNS void AS $$
DECLARE
    missing BIGINT;
BEGIN
    IF ids IS NULL THEN
        RETURN;
    END IF;
    IF parent = 'products' THEN
        PERFORM 1 FROM products WHERE id = ANY (ids) ORDER BY id FOR KEY SHARE;
        SELECT r INTO missing FROM unnest(ids) r WHERE NOT EXISTS (SELECT 1 FROM products x WHERE x.id = r) LIMIT 1;
    ELSIF parent = 'policies' THEN
        PERFORM 1 FROM policies WHERE id = ANY (ids) ORDER BY id FOR KEY SHARE;
        SELECT r INTO missing FROM unnest(ids) r WHERE NOT EXISTS (SELECT 1 FROM policies x WHERE x.id = r) LIMIT 1;
    ELSIF parent = 'verdict_outcomes' THEN
        PERFORM 1 FROM verdict_outcomes WHERE id = ANY (ids) ORDER BY id FOR KEY SHARE;
        SELECT r INTO missing FROM unnest(ids) r WHERE NOT EXISTS (SELECT 1 FROM verdict_outcomes x WHERE x.id = r) LIMIT 1;
    ELSE
        RAISE EXCEPTION 'cascade_referred_rows_exist: no check for table "%"', parent;
    END IF;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'insert or update on table "%" violates foreign key constraint "%"', child, child || '_' || col || '_fkey'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = child || '_' || col || '_fkey', TABLE = child,
            DETAIL = format('Key (%s)=(%s) is not present in table "%s".', col, missing, parent);
    END IF;
END;
$$ LANGUAGE plpgsql SET search_path FROM CURRENT;

-- Each trigger reads the statement's rows once: each further use of the
-- transition table reads all of it again.
CREATE FUNCTION cascade_verdicts_references_exist() RETURNS trigger AS $$
DECLARE
    products_referred BIGINT[];
    policies_referred BIGINT[];
    outcomes_referred BIGINT[];
BEGIN
    SELECT array_agg(DISTINCT product_id), array_agg(DISTINCT policy_id) FILTER (WHERE policy_id IS NOT NULL), array_agg(DISTINCT outcome_id)
        INTO products_referred, policies_referred, outcomes_referred FROM written;
    PERFORM cascade_referred_rows_exist('verdicts', 'product_id', 'products', products_referred);
    PERFORM cascade_referred_rows_exist('verdicts', 'policy_id', 'policies', policies_referred);
    PERFORM cascade_referred_rows_exist('verdicts', 'outcome_id', 'verdict_outcomes', outcomes_referred);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql SET search_path FROM CURRENT;

CREATE TRIGGER verdicts_references_on_insert AFTER INSERT ON verdicts
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION cascade_verdicts_references_exist();
CREATE TRIGGER verdicts_references_on_update AFTER UPDATE ON verdicts
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION cascade_verdicts_references_exist();

CREATE FUNCTION cascade_verdict_changes_references_exist() RETURNS trigger AS $$
DECLARE
    products_referred BIGINT[];
    policies_referred BIGINT[];
BEGIN
    SELECT array_agg(DISTINCT product_id), array_agg(DISTINCT policy_id) FILTER (WHERE policy_id IS NOT NULL)
        INTO products_referred, policies_referred FROM written;
    PERFORM cascade_referred_rows_exist('verdict_changes', 'product_id', 'products', products_referred);
    PERFORM cascade_referred_rows_exist('verdict_changes', 'policy_id', 'policies', policies_referred);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql SET search_path FROM CURRENT;

CREATE TRIGGER verdict_changes_references_on_insert AFTER INSERT ON verdict_changes
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION cascade_verdict_changes_references_exist();
CREATE TRIGGER verdict_changes_references_on_update AFTER UPDATE ON verdict_changes
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION cascade_verdict_changes_references_exist();

-- A deleted product takes its verdicts and feed entries with it.
CREATE FUNCTION cascade_products_deleted() RETURNS trigger AS $$
BEGIN
    DELETE FROM verdicts WHERE product_id IN (SELECT id FROM gone);
    DELETE FROM verdict_changes WHERE product_id IN (SELECT id FROM gone);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql SET search_path FROM CURRENT;

CREATE TRIGGER products_delete_their_verdicts AFTER DELETE ON products
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION cascade_products_deleted();

-- A product, policy or outcome that verdicts or feed entries refer to keeps
-- its id, and a policy or outcome stays.
CREATE FUNCTION cascade_verdicts_referenced() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.id = NEW.id THEN
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'products' AND (EXISTS (SELECT 1 FROM verdicts WHERE product_id = OLD.id)
            OR EXISTS (SELECT 1 FROM verdict_changes WHERE product_id = OLD.id)) THEN
        RAISE EXCEPTION 'update on table "products" violates foreign key constraint "verdicts_product_id_fkey" on table "verdicts"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'verdicts_product_id_fkey', TABLE = 'products',
            DETAIL = format('Key (id)=(%s) is still referenced from table "verdicts".', OLD.id);
    END IF;
    IF TG_TABLE_NAME = 'policies' AND (EXISTS (SELECT 1 FROM verdicts WHERE policy_id = OLD.id)
            OR EXISTS (SELECT 1 FROM verdict_changes WHERE policy_id = OLD.id)) THEN
        RAISE EXCEPTION 'update or delete on table "policies" violates foreign key constraint "verdicts_policy_id_fkey" on table "verdicts"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'verdicts_policy_id_fkey', TABLE = 'policies',
            DETAIL = format('Key (id)=(%s) is still referenced from table "verdicts".', OLD.id);
    END IF;
    IF TG_TABLE_NAME = 'verdict_outcomes' AND EXISTS (SELECT 1 FROM verdicts WHERE outcome_id = OLD.id) THEN
        RAISE EXCEPTION 'update or delete on table "verdict_outcomes" violates foreign key constraint "verdicts_outcome_id_fkey" on table "verdicts"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'verdicts_outcome_id_fkey', TABLE = 'verdict_outcomes',
            DETAIL = format('Key (id)=(%s) is still referenced from table "verdicts".', OLD.id);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql SET search_path FROM CURRENT;

CREATE TRIGGER products_id_referenced_by_verdicts AFTER UPDATE OF id ON products
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION cascade_verdicts_referenced();
CREATE TRIGGER policies_referenced_by_verdicts AFTER UPDATE OF id OR DELETE ON policies
    FOR EACH ROW EXECUTE FUNCTION cascade_verdicts_referenced();
CREATE TRIGGER verdict_outcomes_referenced_by_verdicts AFTER UPDATE OF id OR DELETE ON verdict_outcomes
    FOR EACH ROW EXECUTE FUNCTION cascade_verdicts_referenced();
-- TRUNCATE fires no row trigger: a foreign key refused it on a table rows
-- refer to, and so does this while any verdict or feed entry exists.
CREATE FUNCTION cascade_verdicts_referenced_truncate() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM verdicts) OR EXISTS (SELECT 1 FROM verdict_changes) THEN
        RAISE EXCEPTION 'cannot truncate a table referenced in a foreign key constraint: verdicts refer to "%"', TG_TABLE_NAME
            USING ERRCODE = 'feature_not_supported';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql SET search_path FROM CURRENT;

CREATE TRIGGER verdict_outcomes_no_truncate BEFORE TRUNCATE ON verdict_outcomes
    FOR EACH STATEMENT EXECUTE FUNCTION cascade_verdicts_referenced_truncate();
CREATE TRIGGER policies_no_truncate BEFORE TRUNCATE ON policies
    FOR EACH STATEMENT EXECUTE FUNCTION cascade_verdicts_referenced_truncate();

-- A trigger function finds its tables by the search_path of the session
-- that fires it; bound to the schema it was made in, as a foreign key is
-- bound to its table, it never checks or deletes another schema's rows.
ALTER FUNCTION cascade_products_references_exist() SET search_path FROM CURRENT;
ALTER FUNCTION cascade_products_referenced() SET search_path FROM CURRENT;
{{end}}
