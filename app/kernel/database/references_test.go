package database_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

// referencesFixture stores two suppliers (the second without products) and
// one batch of the first, and returns their ids.
func referencesFixture(t *testing.T, db *gorm.DB) (supplier, spare, batch int64) {
	t.Helper()
	now := time.Now().UTC()
	for i, p := range []*int64{&supplier, &spare} {
		err := db.Raw("INSERT INTO suppliers (name, name_key, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING id",
			fmt.Sprint("Supplier ", i), fmt.Sprint("supplier ", i), now, now).Scan(p).Error
		if err != nil {
			t.Fatal(err)
		}
	}
	err := db.Raw("INSERT INTO import_batches (supplier_id, file_name, sha256, status, started_at) VALUES (?, 'a.csv', 'x', 'committed', ?) RETURNING id",
		supplier, now).Scan(&batch).Error
	if err != nil {
		t.Fatal(err)
	}
	return supplier, spare, batch
}

const insertProducts = `INSERT INTO products (supplier_id, sku, gtin, brand, model, match_key, category, markets, content_hash, batch_id, created_at, updated_at)
	VALUES %s`

func productValues(db *gorm.DB, rows ...[2]int64) *gorm.DB {
	values, args := "", []any{}
	now := time.Now().UTC()
	for i, r := range rows {
		if i > 0 {
			values += ", "
		}
		values += "(?, ?, '00000000000000', 'B', 'M', 'b m', 'router', 'UK', 'h', ?, ?, ?)"
		var batch any
		if r[1] != 0 {
			batch = r[1]
		}
		args = append(args, r[0], fmt.Sprint("SKU-", i), batch, now, now)
	}
	return db.Exec(fmt.Sprintf(insertProducts, values), args...)
}

func wantForeignKeyViolation(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, gorm.ErrForeignKeyViolated) {
		t.Fatalf("%s: got %v, want a foreign-key violation", what, err)
	}
}

// A product refers to a supplier and a batch that exist, on both
// databases, however many rows a statement writes: PostgreSQL checks it
// once a statement (migration 0026), SQLite a row at a time.
func TestAProductMustReferToAStoredSupplierAndBatch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		supplier, spare, batch := referencesFixture(t, db)
		const missing = 999_999
		wantForeignKeyViolation(t, "a product of a missing supplier", productValues(db, [2]int64{missing, 0}).Error)
		wantForeignKeyViolation(t, "one bad row of three", productValues(db, [2]int64{supplier, batch}, [2]int64{supplier, missing}, [2]int64{supplier, 0}).Error)
		var n int64
		if err := db.Raw("SELECT COUNT(*) FROM products").Scan(&n).Error; err != nil || n != 0 {
			t.Fatalf("a failed statement left %d products (%v)", n, err)
		}
		if err := productValues(db, [2]int64{supplier, batch}, [2]int64{supplier, 0}).Error; err != nil {
			t.Fatalf("products with stored references: %v", err)
		}
		wantForeignKeyViolation(t, "moving a product to a missing batch", db.Exec("UPDATE products SET batch_id = ?", missing).Error)
		wantForeignKeyViolation(t, "moving a product to a missing supplier", db.Exec("UPDATE products SET supplier_id = ? WHERE batch_id IS NULL", missing).Error)
		if err := db.Exec("UPDATE products SET name = 'renamed'").Error; err != nil {
			t.Fatalf("an update that keeps the references: %v", err)
		}

		wantForeignKeyViolation(t, "deleting a supplier with products", db.Exec("DELETE FROM suppliers WHERE id = ?", supplier).Error)
		wantForeignKeyViolation(t, "deleting a batch with products", db.Exec("DELETE FROM import_batches WHERE id = ?", batch).Error)
		if err := db.Exec("DELETE FROM suppliers WHERE id = ?", spare).Error; err != nil {
			t.Fatalf("deleting a supplier without products: %v", err)
		}
		if err := db.Exec("DELETE FROM products").Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Exec("DELETE FROM import_batches WHERE id = ?", batch).Error; err != nil {
			t.Fatalf("deleting a batch no product refers to: %v", err)
		}
	})
}

// A supplier deleted while an import writes its products: the delete waits
// for the import's lock on the supplier, then sees the committed products
// and fails, as it would with PostgreSQL's own foreign key.
func TestASupplierCannotBeDeletedUnderAnImportWritingItsProducts(t *testing.T) {
	db := dbtest.Postgres(t)
	_, supplier, _ := referencesFixture(t, db) // a supplier no batch refers to yet
	ctx := context.Background()
	tx := db.WithContext(ctx).Begin()
	defer tx.Rollback() // on a failure, before the schema is dropped
	if err := productValues(tx, [2]int64{supplier, 0}).Error; err != nil {
		t.Fatal(err)
	}
	deleted := make(chan error, 1)
	go func() { deleted <- db.WithContext(ctx).Exec("DELETE FROM suppliers WHERE id = ?", supplier).Error }()
	select {
	case err := <-deleted:
		t.Errorf("the delete did not wait for the import's lock on the supplier: %v", err)
		return
	case <-time.After(300 * time.Millisecond):
	}
	if err := tx.Commit().Error; err != nil {
		t.Fatal(err)
	}
	wantForeignKeyViolation(t, "deleting the supplier once its products are committed", <-deleted)
	var n int64
	if err := db.Raw("SELECT COUNT(*) FROM products p JOIN suppliers s ON s.id = p.supplier_id").Scan(&n).Error; err != nil || n != 1 {
		t.Fatalf("%d products with their supplier, want 1 (%v)", n, err)
	}
}

// A verdict and a change-feed entry refer to a product, a policy and (a
// verdict) an outcome that exist, on both databases, however many rows a
// statement writes: PostgreSQL checks it once a statement (migration 0028),
// SQLite a row at a time. Deleting a product deletes its verdicts and
// entries; a policy or outcome they refer to cannot be deleted.
func TestAVerdictMustReferToAStoredProductPolicyAndOutcome(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		supplier, _, batch := referencesFixture(t, db)
		if err := productValues(db, [2]int64{supplier, batch}, [2]int64{supplier, batch}).Error; err != nil {
			t.Fatal(err)
		}
		var products []int64
		db.Raw("SELECT id FROM products ORDER BY id").Scan(&products)
		var policy, outcome, spareOutcome int64
		now := time.Now().UTC()
		if err := db.Raw("INSERT INTO policies (version, document, sha256, created_at) VALUES ('p1', '{}', 'x', ?) RETURNING id", now).Scan(&policy).Error; err != nil {
			t.Fatal(err)
		}
		for i, p := range []*int64{&outcome, &spareOutcome} {
			if err := db.Raw("INSERT INTO verdict_outcomes (hash, reasons, evidence) VALUES (?, '[]', '{}') RETURNING id", fmt.Sprint("o", i)).Scan(p).Error; err != nil {
				t.Fatal(err)
			}
		}
		const missing = 999_999
		verdicts := func(rows ...[3]int64) error { // product, policy (0: NULL), outcome
			values, args := "", []any{}
			for i, r := range rows {
				if i > 0 {
					values += ", "
				}
				values += "(?, ?, 'retail', 'allowed', ?, ?, '2026-12-07', 'h', ?)"
				var pol any
				if r[1] != 0 {
					pol = r[1]
				}
				args = append(args, r[0], fmt.Sprint("M", i), r[2], pol, now)
			}
			return db.Exec("INSERT INTO verdicts (product_id, market, channel, verdict, outcome_id, policy_id, as_of, content_hash, evaluated_at) VALUES "+values, args...).Error
		}
		changes := func(product, policy int64) error {
			var pol any
			if policy != 0 {
				pol = policy
			}
			return db.Exec("INSERT INTO verdict_changes (product_id, market, channel, verdict, policy_id, changed_at) VALUES (?, 'UK', 'retail', 'allowed', ?, ?)", product, pol, now).Error
		}
		wantForeignKeyViolation(t, "a verdict of a missing product", verdicts([3]int64{products[0], policy, outcome}, [3]int64{missing, policy, outcome}))
		wantForeignKeyViolation(t, "a verdict of a missing policy", verdicts([3]int64{products[0], missing, outcome}))
		wantForeignKeyViolation(t, "a verdict with a missing outcome", verdicts([3]int64{products[0], policy, outcome}, [3]int64{products[1], 0, missing}))
		wantForeignKeyViolation(t, "a feed entry of a missing product", changes(missing, policy))
		wantForeignKeyViolation(t, "a feed entry of a missing policy", changes(products[0], missing))
		var n int64
		if err := db.Raw("SELECT (SELECT COUNT(*) FROM verdicts) + (SELECT COUNT(*) FROM verdict_changes)").Scan(&n).Error; err != nil || n != 0 {
			t.Fatalf("failed statements left %d rows (%v)", n, err)
		}
		if err := verdicts([3]int64{products[0], policy, outcome}, [3]int64{products[1], 0, outcome}); err != nil {
			t.Fatalf("verdicts with stored references: %v", err)
		}
		for _, p := range products {
			if err := changes(p, policy); err != nil {
				t.Fatalf("a feed entry with stored references: %v", err)
			}
		}
		wantForeignKeyViolation(t, "moving a verdict to a missing outcome", db.Exec("UPDATE verdicts SET outcome_id = ?", missing).Error)
		wantForeignKeyViolation(t, "moving a verdict to a missing product", db.Exec("UPDATE verdicts SET product_id = ? WHERE policy_id IS NULL", missing).Error)
		wantForeignKeyViolation(t, "moving a feed entry to a missing policy", db.Exec("UPDATE verdict_changes SET policy_id = ?", missing).Error)
		if err := db.Exec("UPDATE verdicts SET content_hash = 'h2'").Error; err != nil {
			t.Fatalf("an update that keeps the references: %v", err)
		}

		wantForeignKeyViolation(t, "deleting a policy verdicts refer to", db.Exec("DELETE FROM policies WHERE id = ?", policy).Error)
		wantForeignKeyViolation(t, "deleting an outcome verdicts refer to", db.Exec("DELETE FROM verdict_outcomes WHERE id = ?", outcome).Error)
		wantForeignKeyViolation(t, "renumbering a product verdicts refer to", db.Exec("UPDATE products SET id = ? WHERE id = ?", missing, products[0]).Error)
		if db.Dialector.Name() == "postgres" { // SQLite has no TRUNCATE
			for _, table := range []string{"verdict_outcomes", "policies"} {
				if err := db.Exec("TRUNCATE " + table).Error; err == nil {
					t.Fatalf("%s truncated under the verdicts that refer to it", table)
				}
			}
		}
		if err := db.Exec("DELETE FROM verdict_outcomes WHERE id = ?", spareOutcome).Error; err != nil {
			t.Fatalf("deleting an outcome no verdict refers to: %v", err)
		}
		if err := db.Exec("DELETE FROM products WHERE id = ?", products[0]).Error; err != nil {
			t.Fatalf("deleting a product with verdicts: %v", err)
		}
		var left []int64
		db.Raw("SELECT product_id FROM verdicts UNION ALL SELECT product_id FROM verdict_changes").Scan(&left)
		if len(left) != 2 || left[0] != products[1] || left[1] != products[1] {
			t.Fatalf("after deleting product %d the verdicts and entries of %v are left, want product %d's", products[0], left, products[1])
		}
	})
}

// Two Cascades in two schemas of one PostgreSQL database: a product of one
// deleted from a session whose search_path is the other's takes its own
// schema's verdicts with it and leaves the other's alone, as a foreign key
// would (the triggers of migration 0028 are bound to their schema).
func TestAProductDeletedFromAnotherSchemasSessionDeletesItsOwnVerdicts(t *testing.T) {
	dsns := dbtest.PostgresDSNs(t, 2)
	var dbs []*gorm.DB
	var schemas []string
	for _, dsn := range dsns {
		db, err := database.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer database.Close(db)
		supplier, _, batch := referencesFixture(t, db)
		if err := productValues(db, [2]int64{supplier, batch}).Error; err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		if err := db.Exec("INSERT INTO verdict_outcomes (hash, reasons, evidence) VALUES ('x', '[]', '{}')").Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Exec(`INSERT INTO verdicts (product_id, market, channel, verdict, outcome_id, as_of, content_hash, evaluated_at)
			SELECT p.id, 'UK', 'retail', 'allowed', o.id, '2026-12-07', 'h', ? FROM products p, verdict_outcomes o`, now).Error; err != nil {
			t.Fatal(err)
		}
		var s string
		db.Raw("SELECT current_schema()").Scan(&s)
		dbs, schemas = append(dbs, db), append(schemas, s)
	}
	if err := dbs[1].Exec("DELETE FROM " + schemas[0] + ".products").Error; err != nil {
		t.Fatal(err)
	}
	var first, second int64
	dbs[0].Raw("SELECT COUNT(*) FROM verdicts").Scan(&first)
	dbs[1].Raw("SELECT COUNT(*) FROM verdicts").Scan(&second)
	if first != 0 || second != 1 {
		t.Fatalf("verdicts left: %d in the schema whose product was deleted (want 0), %d in the other (want 1)", first, second)
	}
}
