package verdicts

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/catalog"
)

// pipeline reads the products of ids (every product when nil) a page at a
// time on one goroutine and evaluates the pages on every core, while the
// caller's goroutine writes them: write gets the pages in id order, one at
// a time, so the change feed lists a recompute's changes in product order.
// Writing is the one step that cannot be shared (SQLite has one writer, and
// the verdicts lock makes PostgreSQL's writers take turns too); the reading
// and evaluating of the next pages happen beside it (issue #18).
//
// ev is the evaluation write uses and may replace (a policy or snapshot
// arrived meanwhile, see store); the pages evaluated after that use the
// new one, and write re-evaluates those evaluated before.
func (s *Service) pipeline(ctx context.Context, ids []int64, ev *evaluation, write func(evaluatedPage) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var current atomic.Pointer[evaluation]
	first := *ev
	current.Store(&first)
	// Inside a transaction (an import's commit) every statement shares one
	// connection, which runs one statement at a time (PostgreSQL's
	// protocol cannot interleave a query's rows with another statement):
	// the loader and the writer take turns on it, and the writer reads
	// the stored verdicts itself. The evaluation still runs beside both.
	inTx := inTransaction(s.db)
	var conn sync.Mutex
	turn := func(fn func() error) error {
		if inTx {
			conn.Lock()
			defer conn.Unlock()
		}
		return fn()
	}

	type result struct {
		page evaluatedPage
		err  error
	}
	type job struct {
		batch []catalog.Product
		done  chan result // buffered: a worker never waits for the writer
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	jobs := make(chan job)
	order := make(chan job, workers+1) // bounds the pages held: read, evaluated or waiting
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel() // runs before wg.Wait: a failed write stops the loader and the workers
	wg.Go(func() {
		defer close(order)
		defer close(jobs)
		pages := productPages(ctx, s.db, ids, 0, 0)
		for {
			var batch []catalog.Product
			err := turn(func() (err error) {
				batch, err = pages()
				return err
			})
			if batch == nil && err == nil {
				return
			}
			j := job{batch: batch, done: make(chan result, 1)}
			if err != nil {
				j.done <- result{err: err}
			}
			select {
			case order <- j:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
			select {
			case jobs <- j:
			case <-ctx.Done():
				return
			}
		}
	})
	for range workers {
		wg.Go(func() {
			enc := newEncoder()
			for j := range jobs {
				var r result
				func() {
					defer func() { // a panic here would end the process, not the caller's request
						if p := recover(); p != nil {
							r.err = fmt.Errorf("evaluating products %d-%d: %v", j.batch[0].ID, j.batch[len(j.batch)-1].ID, p)
						}
					}()
					r.page = evaluate(*current.Load(), j.batch, enc)
					if !inTx {
						r.page.before, r.err = storedVerdicts(ctx, s.db, r.page.ids())
						if r.page.read = r.err == nil; r.page.read {
							r.page.prepared = r.page.writes(r.page.before)
						}
					}
				}()
				j.done <- r
			}
		})
	}
	for j := range order {
		var r result
		select {
		case r = <-j.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if r.err != nil {
			return r.err
		}
		if err := turn(func() error { return write(r.page) }); err != nil {
			return err
		}
		if ev.inputs != current.Load().inputs {
			next := *ev
			current.Store(&next)
		}
	}
	return ctx.Err()
}

// inTransaction reports whether db is a transaction (the caller's: an
// import's commit recomputes inside its own).
func inTransaction(db *gorm.DB) bool {
	_, ok := db.Statement.ConnPool.(gorm.TxCommitter)
	return ok
}
