-- A decided purchase order never changes. Each line keeps, from its
-- approval on, what it was approved on (the product's identity and security
-- fields, the gate's decision, reasons and label evidence, the policy, the
-- waiver) as a JSON document; the evidence pack reads only that. The
-- database itself refuses to change an approved or rejected order, or any
-- line of one, or a line that holds its approval, whatever code asks.
ALTER TABLE purchase_order_lines ADD COLUMN approved_snapshot TEXT;
{{if .Postgres}}
CREATE FUNCTION cascade_decided_order_final() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'purchase order % is %: a decided order cannot change', OLD.id, OLD.status;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER purchase_orders_decided_final BEFORE UPDATE OR DELETE ON purchase_orders
    FOR EACH ROW WHEN (OLD.status IN ('approved', 'rejected')) EXECUTE FUNCTION cascade_decided_order_final();

CREATE FUNCTION cascade_decided_order_line_final() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF OLD.approved_snapshot IS NOT NULL OR EXISTS (
            SELECT 1 FROM purchase_orders WHERE id = OLD.order_id AND status IN ('approved', 'rejected')) THEN
            RAISE EXCEPTION 'purchase order line % is decided: it cannot change', OLD.id;
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF EXISTS (SELECT 1 FROM purchase_orders WHERE id = NEW.order_id AND status IN ('approved', 'rejected')) THEN
            RAISE EXCEPTION 'purchase order % is decided: its lines cannot change', NEW.order_id;
        END IF;
        RETURN NEW;
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER purchase_order_lines_decided_final BEFORE INSERT OR UPDATE OR DELETE ON purchase_order_lines
    FOR EACH ROW EXECUTE FUNCTION cascade_decided_order_line_final();
{{else}}
CREATE TRIGGER purchase_orders_decided_no_update BEFORE UPDATE ON purchase_orders
WHEN OLD.status IN ('approved', 'rejected')
BEGIN
    SELECT RAISE(ABORT, 'a decided purchase order cannot change');
END;

CREATE TRIGGER purchase_orders_decided_no_delete BEFORE DELETE ON purchase_orders
WHEN OLD.status IN ('approved', 'rejected')
BEGIN
    SELECT RAISE(ABORT, 'a decided purchase order cannot change');
END;

CREATE TRIGGER purchase_order_lines_decided_no_insert BEFORE INSERT ON purchase_order_lines
WHEN (SELECT status FROM purchase_orders WHERE id = NEW.order_id) IN ('approved', 'rejected')
BEGIN
    SELECT RAISE(ABORT, 'the lines of a decided purchase order cannot change');
END;

CREATE TRIGGER purchase_order_lines_decided_no_update BEFORE UPDATE ON purchase_order_lines
WHEN OLD.approved_snapshot IS NOT NULL
    OR (SELECT status FROM purchase_orders WHERE id = OLD.order_id) IN ('approved', 'rejected')
    OR (SELECT status FROM purchase_orders WHERE id = NEW.order_id) IN ('approved', 'rejected')
BEGIN
    SELECT RAISE(ABORT, 'a decided purchase order line cannot change');
END;

CREATE TRIGGER purchase_order_lines_decided_no_delete BEFORE DELETE ON purchase_order_lines
WHEN OLD.approved_snapshot IS NOT NULL
    OR (SELECT status FROM purchase_orders WHERE id = OLD.order_id) IN ('approved', 'rejected')
BEGIN
    SELECT RAISE(ABORT, 'a decided purchase order line cannot change');
END;
{{end}}
