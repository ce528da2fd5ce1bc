package web

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/audit"
)

// auditHead exposes the newest audit checkpoint on /metrics, so that the
// scraper stores the chain's head outside the database too.
type auditHead struct {
	mu    sync.Mutex
	cp    *audit.Checkpoint
	holds bool

	seq, info, prevHolds *prometheus.Desc
}

func newAuditHead() *auditHead {
	return &auditHead{
		seq:       prometheus.NewDesc("cascade_audit_head_seq", "Seq of the audit chain's head at the last checkpoint.", nil, nil),
		info:      prometheus.NewDesc("cascade_audit_head_info", "Always 1; the hash label is the audit chain's head hash at the last checkpoint.", []string{"hash"}, nil),
		prevHolds: prometheus.NewDesc("cascade_audit_checkpoint_holds", "1 while the checkpoint before the last is still in the audit chain, 0 once it was rewritten or cut.", nil, nil),
	}
}

func (a *auditHead) Describe(ch chan<- *prometheus.Desc) {
	ch <- a.seq
	ch <- a.info
	ch <- a.prevHolds
}

func (a *auditHead) Collect(ch chan<- prometheus.Metric) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cp == nil {
		return
	}
	holds := 0.0
	if a.holds {
		holds = 1
	}
	ch <- prometheus.MustNewConstMetric(a.seq, prometheus.GaugeValue, float64(a.cp.Seq))
	ch <- prometheus.MustNewConstMetric(a.info, prometheus.GaugeValue, 1, a.cp.Hash)
	ch <- prometheus.MustNewConstMetric(a.prevHolds, prometheus.GaugeValue, holds)
}

func (a *auditHead) observe(c audit.Checkpoint, holds bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.cp, a.holds = &c, holds
}

// AnchorAudit takes an audit checkpoint now and every interval until ctx
// ends: it logs each (msg "audit checkpoint") and exposes the newest on
// /metrics. key (CASCADE_AUDIT_KEY, may be nil) signs them.
func (s *Server) AnchorAudit(ctx context.Context, every time.Duration, key []byte) {
	ctx = access.With(ctx, access.System("audit-checkpoint"))
	s.audit.Anchor(ctx, s.log, every, key, s.auditHead.observe)
}
