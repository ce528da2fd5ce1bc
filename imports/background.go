package imports

import (
	"context"
	"os"
	"sync"

	"github.com/cascade-gate/cascade/app/kernel/access"
)

// Background runs imports that outlive the request that started them (the
// API's 202, the supplier's upload page): it owns their goroutines, the
// context they run in, the uploaded files and the wait at shutdown.
type Background struct {
	im        *Importer
	ctx       context.Context
	stop      context.CancelFunc
	running   sync.WaitGroup
	onFailure func(b Batch, req Request, err error)
}

// NewBackground runs im's imports in the background; onFailure (if set)
// hears of each that fails, for the log: the batch itself already tells the
// supplier a code and a safe message.
func NewBackground(im *Importer, onFailure func(b Batch, req Request, err error)) *Background {
	bg := &Background{im: im, onFailure: onFailure}
	bg.ctx, bg.stop = context.WithCancel(context.Background())
	return bg
}

// Start checks that the caller may import for the supplier and records a
// running batch (Importer.Start), then runs it in its own goroutine with
// the caller's identity but not its cancellation. The file at req.Path is
// Background's from the call on: removed when the import ends, or at once
// if it does not start.
func (bg *Background) Start(ctx context.Context, req Request) (Batch, error) {
	b, err := bg.im.Start(ctx, req)
	if err != nil {
		os.Remove(req.Path)
		return b, err
	}
	p, _ := access.From(ctx) // Start has checked it
	run := access.With(bg.ctx, p)
	bg.running.Add(1)
	go func() {
		defer bg.running.Done()
		defer os.Remove(req.Path)
		if done, err := bg.im.Run(run, b, req); err != nil && bg.onFailure != nil {
			bg.onFailure(done, req, err)
		}
	}()
	return b, nil
}

// Drain waits for the running imports until ctx ends, then cancels the rest
// (their batches end failed, nothing half-stored) and waits for them to
// record it. Imports started afterwards run cancelled.
func (bg *Background) Drain(ctx context.Context) {
	done := make(chan struct{})
	go func() { bg.running.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		bg.stop()
		<-done
	}
	bg.stop()
}
