-- PostgreSQL checks a foreign key one row at a time: a trigger a row, each
-- running its own query that finds and locks the referenced row. An import
-- writes all its products in one statement, all referring to one supplier
-- and one batch, and the two checks of products.supplier_id and batch_id
-- were 2 of the 5.3 s a first import of 100,000 products took (issue 18).
-- Here the same rules are checked once a statement, over the rows it wrote:
-- each referenced supplier and batch is locked FOR KEY SHARE once, as a
-- foreign key locks it, and a reference to a row that does not exist fails
-- the statement with a foreign-key violation (SQLSTATE 23503) named as the
-- constraint was. A supplier or batch that products refer to cannot be
-- deleted, nor its id changed: under READ COMMITTED, the isolation Cascade
-- runs at, that check sees every product committed before it, and a delete
-- waits for the lock of a statement that wrote products of that supplier
-- until it commits. SQLite checks its foreign keys by index in the same
-- statement, cheaply, and keeps them.
{{if .Postgres}}
ALTER TABLE products DROP CONSTRAINT products_supplier_id_fkey;
ALTER TABLE products DROP CONSTRAINT products_batch_id_fkey;

CREATE FUNCTION cascade_products_references_exist() RETURNS trigger AS $$
DECLARE
    suppliers_referred BIGINT[];
    batches_referred BIGINT[];
    missing BIGINT;
BEGIN
    -- One pass over the rows written (100,000 after an import's insert):
    -- each further use of the transition table reads all of it again.
    SELECT array_agg(DISTINCT supplier_id), array_agg(DISTINCT batch_id) FILTER (WHERE batch_id IS NOT NULL)
        INTO suppliers_referred, batches_referred FROM written;
    PERFORM 1 FROM suppliers WHERE id = ANY (suppliers_referred) ORDER BY id FOR KEY SHARE;
    SELECT r INTO missing FROM unnest(suppliers_referred) r WHERE NOT EXISTS (SELECT 1 FROM suppliers s WHERE s.id = r) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "products" violates foreign key constraint "products_supplier_id_fkey"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'products_supplier_id_fkey', TABLE = 'products',
            DETAIL = format('Key (supplier_id)=(%s) is not present in table "suppliers".', missing);
    END IF;
    PERFORM 1 FROM import_batches WHERE id = ANY (batches_referred) ORDER BY id FOR KEY SHARE;
    SELECT r INTO missing FROM unnest(batches_referred) r WHERE NOT EXISTS (SELECT 1 FROM import_batches b WHERE b.id = r) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "products" violates foreign key constraint "products_batch_id_fkey"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'products_batch_id_fkey', TABLE = 'products',
            DETAIL = format('Key (batch_id)=(%s) is not present in table "import_batches".', missing);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER products_references_on_insert AFTER INSERT ON products
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION cascade_products_references_exist();
CREATE TRIGGER products_references_on_update AFTER UPDATE ON products
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION cascade_products_references_exist();

CREATE FUNCTION cascade_products_referenced() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.id = NEW.id THEN
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'suppliers' AND EXISTS (SELECT 1 FROM products WHERE supplier_id = OLD.id) THEN
        RAISE EXCEPTION 'update or delete on table "suppliers" violates foreign key constraint "products_supplier_id_fkey" on table "products"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'products_supplier_id_fkey', TABLE = 'suppliers',
            DETAIL = format('Key (id)=(%s) is still referenced from table "products".', OLD.id);
    END IF;
    IF TG_TABLE_NAME = 'import_batches' AND EXISTS (SELECT 1 FROM products WHERE batch_id = OLD.id) THEN
        RAISE EXCEPTION 'update or delete on table "import_batches" violates foreign key constraint "products_batch_id_fkey" on table "products"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'products_batch_id_fkey', TABLE = 'import_batches',
            DETAIL = format('Key (id)=(%s) is still referenced from table "products".', OLD.id);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER suppliers_referenced_by_products AFTER UPDATE OF id OR DELETE ON suppliers
    FOR EACH ROW EXECUTE FUNCTION cascade_products_referenced();
CREATE TRIGGER import_batches_referenced_by_products AFTER UPDATE OF id OR DELETE ON import_batches
    FOR EACH ROW EXECUTE FUNCTION cascade_products_referenced();
{{end}}
