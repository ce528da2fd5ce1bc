-- What the gate decided for each order line, kept with its evidence, so an
-- auditor can retrace an approval after registries and policies change.
ALTER TABLE purchase_order_lines ADD COLUMN gate_evidence TEXT NOT NULL DEFAULT '{}';
ALTER TABLE purchase_order_lines ADD COLUMN policy_id BIGINT REFERENCES policies (id);
