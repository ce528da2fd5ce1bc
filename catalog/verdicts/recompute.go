package verdicts

import (
	"context"
	"strconv"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/policy"
)

// Stats says what a recomputation did.
type Stats struct {
	PolicyVersion string `json:"policy_version"`
	AsOf          string `json:"as_of"`
	Products      int    `json:"products"`
	Verdicts      int    `json:"verdicts"`
	Written       int    `json:"written"`   // new or different verdicts stored
	Changed       int    `json:"changed"`   // of those, a new verdict or different reasons: on the change feed
	Withdrawn     int    `json:"withdrawn"` // verdicts of markets a product is no longer offered in
}

type existing struct {
	ID          int64
	ProductID   int64
	Market      string
	Channel     string
	Verdict     string
	Codes       string
	ContentHash string
	OutcomeID   int64
}

// Withdrawn is the change-feed verdict of a market a product left.
const Withdrawn = "withdrawn"

// Recompute evaluates products as of today with the active policy and the
// latest registries and stores only what changed. ids nil means every
// product. Only admins and the system (after imports, registry snapshots,
// policy activations and every night) run it.
func (s *Service) Recompute(ctx context.Context, ids []int64) (Stats, error) {
	if _, err := access.Require(ctx, access.Admin); err != nil {
		return Stats{}, err
	}
	ev, err := s.prepare(ctx, civil.Date{}, nil)
	if err != nil {
		return Stats{}, err
	}
	st := Stats{PolicyVersion: ev.doc.Version, AsOf: ev.date.String()}
	enc := newEncoder() // the writer's own, for the pages it evaluates again
	err = s.pipeline(ctx, ids, &ev, func(page evaluatedPage) error {
		return s.store(ctx, &ev, page, enc, &st)
	})
	return st, err
}

func key(productID int64, market, channel string) string {
	return strconv.FormatInt(productID, 10) + "|" + market + "|" + channel
}

// store writes one page of products' verdicts: new and different ones are
// upserted and put on the change feed, unchanged ones are not touched.
//
// Several recomputes may run at once (the nightly job, an admin, a registry
// refresh, an import's commit), each having read the same products and
// stored verdicts. So the writes are decided again inside the writing
// transaction, under the verdicts lock, on what is stored then: a change
// another recompute has just stored is not stored, nor put on the feed, a
// second time. If the page's products changed meanwhile (an import's
// commit is what the lock most often waits for), they are read and
// evaluated again; if another policy was activated or a registry snapshot
// arrived, the evaluation is prepared again, for this page and the rest.
// So a stale evaluation never overwrites a newer one.
//
// The page comes evaluated (and, outside a transaction, with its stored
// verdicts read) by the pipeline, on another core; if ev was prepared again
// since, it is evaluated again here first.
func (s *Service) store(ctx context.Context, ev *evaluation, page evaluatedPage, enc *encoder, st *Stats) error {
	batch, ids := page.batch, page.ids()
	if page.inputs != ev.inputs {
		page = evaluate(*ev, batch, enc)
	}
	if !inTransaction(s.db) { // in one (an import's commit) the page is read once, below
		if !page.read {
			before, err := storedVerdicts(ctx, s.db, ids)
			if err != nil {
				return err
			}
			page.before, page.read, page.prepared = before, true, page.writes(before)
		}
		if w := page.prepared; len(w.inserts)+len(w.upserts)+len(w.gone) == 0 {
			st.Products, st.Verdicts = st.Products+len(batch), st.Verdicts+len(page.verdicts)
			return nil // the common case, every night: nothing to write, no lock taken
		}
	}
	if s.beforeWrite != nil {
		s.beforeWrite()
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := database.Lock(tx, database.LockVerdicts); err != nil {
			return err
		}
		superseded, err := s.superseded(ctx, tx, ev, st)
		if err != nil {
			return err
		}
		changed, err := productsChanged(ctx, tx, batch)
		if err != nil {
			return err
		}
		if changed {
			if batch, err = loadProducts(ctx, tx, func(q *gorm.DB) *gorm.DB { return q.Where("id IN ?", ids) }); err != nil {
				return err
			}
		}
		if superseded || changed {
			page = evaluate(*ev, batch, enc)
		}
		before, err := storedVerdicts(ctx, tx, ids)
		if err != nil {
			return err
		}
		// The worker that evaluated the page built its rows from the stored
		// verdicts it read; they stand if nothing changed since.
		w := page.prepared
		if superseded || changed || !page.read || !sameVerdicts(page.before, before) {
			w = page.writes(before)
		}
		st.Products, st.Verdicts = st.Products+len(batch), st.Verdicts+len(page.verdicts)
		st.Written += len(w.inserts) + len(w.upserts)
		st.Changed += w.changed
		st.Withdrawn += len(w.gone)
		shared := pageShared{policyID: ev.policyRef(), asOf: ev.date.String(), at: s.now()}
		if len(w.gone) > 0 {
			if err := tx.Exec("DELETE FROM verdicts WHERE id IN ?", w.gone).Error; err != nil {
				return err
			}
		}
		var last int64 // the newest verdict's id before this page's
		if w.feedOfInserts {
			if err := tx.Raw("SELECT COALESCE(MAX(id), 0) FROM verdicts").Scan(&last).Error; err != nil {
				return err
			}
		}
		if err := resolveOutcomes(ctx, tx, w); err != nil {
			return err
		}
		// A verdict not stored yet (all of them, the first time) is a plain
		// INSERT, which SQLite and PostgreSQL do cheaper than an upsert;
		// the lock and the read above make sure none is stored meanwhile.
		if err := database.InsertShared(ctx, tx, "verdicts", verdictColumns, w.inserts, shared.verdicts()); err != nil {
			return err
		}
		if err := database.UpsertShared(ctx, tx, "verdicts", verdictColumns, []string{"product_id", "market", "channel"}, w.upserts, shared.verdicts()); err != nil {
			return err
		}
		if err := dropReleasedOutcomes(ctx, tx, w.released); err != nil {
			return err
		}
		if w.feedOfInserts {
			return feedFromVerdicts(ctx, tx, last)
		}
		return database.InsertShared(ctx, tx, "verdict_changes", changeColumns, w.changes, shared.changes())
	})
}

// feedFromVerdicts puts the verdicts of products that had none before on
// the change feed, in the order they were inserted, copied in the database
// rather than sent again: a first evaluation's feed is one entry a verdict,
// and binding them all was a tenth of its time (issue #18). They are the
// verdicts after last, the newest id before the page's inserts: only the
// writer holding the verdicts lock inserts verdicts, and ids only grow
// (AUTOINCREMENT, an identity sequence), so the page's are a range of the
// table's ids, read in order, with no look-up by product.
func feedFromVerdicts(ctx context.Context, tx *gorm.DB, last int64) error {
	return tx.WithContext(ctx).Exec(`INSERT INTO verdict_changes (product_id, market, channel, previous, verdict, codes, policy_id, changed_at)
		SELECT product_id, market, channel, '', verdict, codes, policy_id, evaluated_at FROM verdicts WHERE id > ? ORDER BY id`, last).Error
}

// sameVerdicts reports whether two readings of a page's stored verdicts agree.
func sameVerdicts(a, b map[string]existing) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// superseded prepares ev again if the active policy or the registry
// snapshots changed since it was prepared (their own recompute is running or
// has run: this one must not write the older verdicts over it).
func (s *Service) superseded(ctx context.Context, tx *gorm.DB, ev *evaluation, st *Stats) (bool, error) {
	now, err := currentInputs(ctx, tx)
	if err != nil || now == ev.inputs {
		return false, err
	}
	on := New(tx) // what the transaction sees, at the same clock
	on.now = s.now
	fresh, err := on.prepare(ctx, civil.Date{}, nil)
	if err != nil {
		return false, err
	}
	*ev = fresh
	st.PolicyVersion, st.AsOf = ev.doc.Version, ev.date.String()
	return true, nil
}

// productsChanged reports whether any product of batch was changed or
// removed since batch was read.
func productsChanged(ctx context.Context, tx *gorm.DB, batch []catalog.Product) (bool, error) {
	ids := make([]int64, len(batch))
	read := make(map[int64]string, len(batch))
	for i, p := range batch {
		ids[i], read[p.ID] = p.ID, p.ContentHash
	}
	var now []struct {
		ID          int64
		ContentHash string
	}
	if err := ofProducts(tx.WithContext(ctx).Table("products").Select("id, content_hash"), "id", ids).Scan(&now).Error; err != nil {
		return false, err
	}
	found := 0
	for _, p := range now {
		hash, asked := read[p.ID]
		if !asked {
			continue // in the range read, not in the batch
		}
		if found++; hash != p.ContentHash {
			return true, nil
		}
	}
	return found != len(batch), nil
}

// evaluatedPage is one page of products' verdicts, as evaluated now.
type evaluatedPage struct {
	batch    []catalog.Product
	inputs   inputs // of the evaluation that made it
	verdicts []evaluated
	keys     map[string]bool
	before   map[string]existing // the stored verdicts, if read (read)
	read     bool
	prepared pageWrites // the writes that bring before up to date, if read
}

type evaluated struct {
	productID int64
	key, hash string
	verdict   policy.Verdict
	encoded   // its stored reasons and evidence
	outlook   policy.Outlook
}

func evaluate(ev evaluation, batch []catalog.Product, enc *encoder) evaluatedPage {
	page := evaluatedPage{batch: batch, inputs: ev.inputs, keys: make(map[string]bool, len(batch)*4)}
	page.verdicts = make([]evaluated, 0, len(batch)*4)
	for i := range batch {
		p := &batch[i]
		vs, outlooks := ev.doc.EvaluateAhead(p, ev.date, ev.view)
		for j, v := range vs {
			k := key(p.ID, v.Market, v.Channel)
			page.keys[k] = true
			// The encoding depends on the verdict's content alone; the stored
			// hash also covers its outlook, so a moved date is written.
			fp, hash := enc.hash(v, outlooks[j])
			page.verdicts = append(page.verdicts, evaluated{productID: p.ID, key: k, hash: hash, verdict: v,
				encoded: enc.encode(fp, v), outlook: outlooks[j]})
		}
	}
	return page
}

func (page evaluatedPage) ids() []int64 {
	ids := make([]int64, len(page.batch))
	for i, p := range page.batch {
		ids[i] = p.ID
	}
	return ids
}

// outdated returns what is stored wrongly: the page's verdicts that are new
// or differ from stored, and the stored verdicts of markets the products left.
func (page evaluatedPage) outdated(stored map[string]existing) (changed []*evaluated, gone []existing) {
	for i := range page.verdicts {
		e := &page.verdicts[i]
		if prev, had := stored[e.key]; !had || prev.ContentHash != e.hash {
			if changed == nil {
				changed = make([]*evaluated, 0, len(page.verdicts)-i)
			}
			changed = append(changed, e)
		}
	}
	for k, o := range stored {
		if !page.keys[k] {
			gone = append(gone, o)
		}
	}
	return changed, gone
}

// pageWrites are the rows that bring the stored verdicts of a page up to
// date, but for the columns the page shares (pageShared).
type pageWrites struct {
	inserts  [][]any            // verdictRow values of verdicts not stored yet
	upserts  [][]any            // of stored verdicts that changed
	outcomes map[string]encoded // the outcomes of inserts and upserts, by hash
	changes  [][]any            // changeRow values
	gone     []int64            // stored verdicts of markets the products left
	released []int64            // the outcomes the upserted and gone verdicts referred to
	changed  int                // change-feed entries of new or different verdicts
	// feedOfInserts: every verdict of the page is new, and the feed is
	// theirs, copied from the verdicts once stored (feedFromVerdicts).
	feedOfInserts bool
}

// writes are the writes that bring stored up to date with the page. They
// depend on the page and stored alone, so a worker builds them beside the
// writer, and the writer takes them if stored has not changed since.
func (page evaluatedPage) writes(stored map[string]existing) pageWrites {
	changed, gone := page.outdated(stored)
	w := pageWrites{feedOfInserts: len(stored) == 0, outcomes: map[string]encoded{}}
	if !w.feedOfInserts {
		w.changes = make([][]any, 0, len(changed)+len(gone))
	}
	for _, e := range changed {
		prev, had := stored[e.key]
		v := e.verdict
		row := verdictRow{ProductID: e.productID, Market: v.Market, Channel: v.Channel, Verdict: v.Verdict, Codes: e.codes,
			Outcome: e.outcome, ContentHash: e.hash, Outlook: outlookRowOf(e.outlook)}.values()
		w.outcomes[e.outcome] = e.encoded
		if had {
			w.upserts = append(w.upserts, row)
			w.released = append(w.released, prev.OutcomeID)
		} else {
			w.inserts = append(w.inserts, row)
		}
		if !had || prev.Verdict != v.Verdict || prev.Codes != e.codes {
			w.changed++
			if !w.feedOfInserts {
				w.changes = append(w.changes, changeRow{ProductID: e.productID, Market: v.Market, Channel: v.Channel, Previous: prev.Verdict, Verdict: v.Verdict,
					Codes: e.codes}.values())
			}
		}
	}
	for _, o := range gone {
		w.gone = append(w.gone, o.ID)
		w.released = append(w.released, o.OutcomeID)
		w.changes = append(w.changes, changeRow{ProductID: o.ProductID, Market: o.Market, Channel: o.Channel, Previous: o.Verdict, Verdict: Withdrawn}.values())
	}
	return w
}

// storedVerdicts loads the stored verdicts of some products, keyed by product, market and channel.
func storedVerdicts(ctx context.Context, db *gorm.DB, ids []int64) (map[string]existing, error) {
	rows, err := ofProducts(db.WithContext(ctx).Table("verdicts").Select("id, product_id, market, channel, verdict, codes, content_hash, outcome_id"), "product_id", ids).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	asked := make(map[int64]bool, len(ids))
	for _, id := range ids {
		asked[id] = true
	}
	out := make(map[string]existing, len(ids)*4)
	for rows.Next() {
		var e existing
		if err := rows.Scan(&e.ID, &e.ProductID, &e.Market, &e.Channel, &e.Verdict, &e.Codes, &e.ContentHash, &e.OutcomeID); err != nil {
			return nil, err
		}
		if !asked[e.ProductID] {
			continue // in the range read, not a product of the page
		}
		out[key(e.ProductID, e.Market, e.Channel)] = e
	}
	return out, rows.Err()
}

// policyRef is the stored policy id, or NULL for a candidate policy.
func (e evaluation) policyRef() any {
	if e.policyID == 0 {
		return nil
	}
	return e.policyID
}

// AfterImport recomputes, inside the import's own transaction tx, the
// products an import batch created or changed (imports.Importer.OnCommit).
func AfterImport(ctx context.Context, tx *gorm.DB, batchID int64) error {
	return New(tx).RecomputeBatch(ctx, batchID)
}

// RecomputeBatch recomputes the products an import batch created or changed.
// Only those who may import (admins, suppliers) call it; it then runs as the
// system: whoever imported, every verdict must follow.
func (s *Service) RecomputeBatch(ctx context.Context, batchID int64) error {
	if _, err := access.Require(ctx, access.Admin, access.Supplier); err != nil {
		return err
	}
	ctx = access.With(ctx, access.System("import"))
	var ids []int64
	if err := s.db.WithContext(ctx).Table("products").Where("batch_id = ?", batchID).Pluck("id", &ids).Error; err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	_, err := s.Recompute(ctx, ids)
	return err
}
