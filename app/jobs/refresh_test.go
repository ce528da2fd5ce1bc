package jobs_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/jobs"
	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/outbound"
	"github.com/cascade-gate/cascade/catalog/registry"
)

// TestEachDueFiringOfASourceIsFetchedByOneReplica runs the minute's registry
// refresh on four replicas (separate connection pools on one database) for a
// source whose schedule has come round. First one replica is caught in the
// middle of the fetch while the three others fire: they leave the source
// alone. Then the schedule comes round again and all four fire together.
// Each firing fetches the source once and stores one snapshot.
func TestEachDueFiringOfASourceIsFetchedByOneReplica(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string, db *gorm.DB) {
		var fetches atomic.Int32
		inFirstFetch, release := make(chan struct{}), make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch fetches.Add(1) {
			case 1:
				close(inFirstFetch)
				<-release
			default:
				time.Sleep(200 * time.Millisecond) // so that replicas firing together overlap
			}
			w.Write([]byte("Registration No.,Manufacturer,Model,Level,Valid until,Status\nCSA/300629/00042,Acme,AC-CAM-1,2,2029-06-30,valid\n"))
		}))
		defer srv.Close()
		defer func() {
			select {
			case <-release:
			default:
				close(release)
			}
		}()

		mapping, _ := registry.ParseMapping("label_id=Registration No.,brand=Manufacturer,expires=Valid until")
		admin := access.With(context.Background(), access.System("test"))
		src, err := registry.NewStore(db).AddSource(admin, registry.NewSource{Scheme: "SG-CLS", URL: srv.URL + "/r.csv", Mapping: mapping, Schedule: "0 3 * * *"})
		if err != nil {
			t.Fatal(err)
		}
		replicas := []*gorm.DB{db}
		for range 3 {
			r, err := database.Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer database.Close(r)
			replicas = append(replicas, r)
		}
		// The source is an httptest server on loopback: the fetcher may reach that network only.
		fetcher := registry.NewFetcher(outbound.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Timeout: 10 * time.Second})
		var fetched atomic.Int32 // refresh results, across replicas
		tick := func(db *gorm.DB) {
			results, rc, err := jobs.RefreshSources(context.Background(), db, fetcher, false)
			if err != nil {
				t.Error(err)
			}
			if rc.Pending != nil {
				t.Error(rc.Pending)
			}
			for _, r := range results {
				if r.Err != nil {
					t.Errorf("refresh of %s: %v", r.Source.URL, r.Err)
				}
			}
			fetched.Add(int32(len(results)))
		}
		check := func(firings int32) {
			t.Helper()
			var snapshots int64
			db.Raw("SELECT COUNT(*) FROM registry_snapshots WHERE source_id = ?", src.ID).Scan(&snapshots)
			if fetches.Load() != firings || fetched.Load() != firings || snapshots != int64(firings) {
				t.Fatalf("after %d firings: %d fetches, %d refresh results, %d snapshots", firings, fetches.Load(), fetched.Load(), snapshots)
			}
		}

		done := make(chan struct{})
		go func() { defer close(done); tick(replicas[0]) }()
		select {
		case <-inFirstFetch:
		case <-done:
			t.Fatal("the first replica did not fetch the due source")
		}
		for _, r := range replicas[1:] {
			tick(r)
		}
		close(release)
		<-done
		check(1)

		// The schedule comes round again: the last attempt was over a day ago.
		db.Exec("UPDATE registry_sources SET last_attempt_at = ? WHERE id = ?", time.Now().UTC().Add(-25*time.Hour), src.ID)
		var wg sync.WaitGroup
		for _, r := range replicas {
			wg.Go(func() { tick(r) })
		}
		wg.Wait()
		check(2)

		for _, r := range replicas { // nothing is due any more
			tick(r)
		}
		check(2)
	})
}
